/*
 * Work inside another network namespace (a container's), on the calling
 * thread only, always returning to the namespace the thread was in: the
 * reference returned to its parent process's namespace and skipped the way
 * back on early errors (spec §7.1). setns(2) changes one thread; the JS
 * thread runs no JavaScript between enter and leave, and sockets opened
 * inside keep working in their namespace after the switch back.
 *
 * links(netns): what getifaddrs(3) sees in that namespace (or ours with
 * null): per interface its index, state, MAC and addresses. The host's
 * /sys/class/net shows only the agent's own namespace, so container
 * interfaces are looked at this way.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "native.h"

#define NETNS_PATH_MAX 4096

int netns_enter(const char *path, int *saved, char *message, size_t size) {
  *saved = -1;
  if (path == NULL) return 0;
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    snprintf(message, size, "cannot open network namespace %s: %s", path, strerror(errno));
    return -1;
  }
  int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) {
    snprintf(message, size, "cannot open this thread's network namespace: %s", strerror(errno));
    close(target);
    return -1;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    snprintf(message, size, "cannot enter network namespace %s: %s", path, strerror(errno));
    close(target);
    close(own);
    return -1;
  }
  close(target);
  *saved = own;
  return 0;
}

void netns_leave(int saved) {
  if (saved < 0) return;
  /* Staying in the container's namespace would send every later socket of the process there. */
  if (setns(saved, CLONE_NEWNET) < 0) napi_fatal_error("netns_leave", NAPI_AUTO_LENGTH, "cannot return to the agent's network namespace", NAPI_AUTO_LENGTH);
  close(saved);
}

/* The optional namespace argument: undefined or null → NULL (ours), else a malloc'ed path. Returns -1 after throwing. */
int get_netns_arg(napi_env env, napi_value value, char **path) {
  *path = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type == napi_undefined || type == napi_null) return 0;
  *path = get_string(env, value, "netns", NETNS_PATH_MAX);
  return *path == NULL ? -1 : 0;
}

static napi_status set_string(napi_env env, napi_value obj, const char *key, const char *text) {
  napi_value v;
  napi_status s = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

/* The entry of `name` in `list` (an array of objects), created with its fields when new. */
static napi_status entry_for(napi_env env, napi_value list, const char *name, napi_value *entry) {
  uint32_t n;
  napi_status s = napi_get_array_length(env, list, &n);
  for (uint32_t i = 0; s == napi_ok && i < n; i++) {
    napi_value e, v;
    char buf[IF_NAMESIZE + 1];
    size_t len;
    if ((s = napi_get_element(env, list, i, &e)) != napi_ok || (s = napi_get_named_property(env, e, "name", &v)) != napi_ok ||
        (s = napi_get_value_string_utf8(env, v, buf, sizeof buf, &len)) != napi_ok)
      return s;
    if (strcmp(buf, name) == 0) {
      *entry = e;
      return napi_ok;
    }
  }
  napi_value e, addrs, zero, none;
  if (s != napi_ok || (s = napi_create_object(env, &e)) != napi_ok || (s = set_string(env, e, "name", name)) != napi_ok ||
      (s = napi_create_array(env, &addrs)) != napi_ok || (s = napi_set_named_property(env, e, "addresses", addrs)) != napi_ok ||
      (s = napi_create_int32(env, 0, &zero)) != napi_ok || (s = napi_set_named_property(env, e, "ifindex", zero)) != napi_ok ||
      (s = napi_get_null(env, &none)) != napi_ok || (s = napi_set_named_property(env, e, "mac", none)) != napi_ok ||
      (s = napi_set_element(env, list, n, e)) != napi_ok)
    return s;
  *entry = e;
  return napi_ok;
}

static napi_status describe_address(napi_env env, napi_value entry, const struct ifaddrs *a) {
  napi_status s;
  napi_value v;
  if ((s = napi_get_boolean(env, (a->ifa_flags & IFF_UP) != 0, &v)) != napi_ok || (s = napi_set_named_property(env, entry, "up", v)) != napi_ok)
    return s;
  int family = a->ifa_addr ? a->ifa_addr->sa_family : AF_UNSPEC;
  if (family == AF_PACKET) {
    const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;
    if ((s = napi_create_int32(env, ll->sll_ifindex, &v)) != napi_ok || (s = napi_set_named_property(env, entry, "ifindex", v)) != napi_ok)
      return s;
    if (ll->sll_halen == 6) {
      void *data;
      if ((s = napi_create_buffer_copy(env, 6, ll->sll_addr, &data, &v)) != napi_ok || (s = napi_set_named_property(env, entry, "mac", v)) != napi_ok)
        return s;
    }
  } else if (family == AF_INET || family == AF_INET6) {
    char text[INET6_ADDRSTRLEN];
    const void *raw = family == AF_INET ? (const void *)&((const struct sockaddr_in *)a->ifa_addr)->sin_addr
                                        : (const void *)&((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
    if (inet_ntop(family, raw, text, sizeof text) == NULL) return napi_ok;
    napi_value addrs, str;
    uint32_t n;
    if ((s = napi_get_named_property(env, entry, "addresses", &addrs)) != napi_ok || (s = napi_get_array_length(env, addrs, &n)) != napi_ok ||
        (s = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &str)) != napi_ok || (s = napi_set_element(env, addrs, n, str)) != napi_ok)
      return s;
  }
  return napi_ok;
}

static napi_value Links(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path = NULL;
  if (get_args(env, info, argv, 1, 0, "links([netns])") < 0 || get_netns_arg(env, argv[0], &path) < 0) return NULL;
  char message[NETNS_PATH_MAX + 128];
  int saved;
  if (netns_enter(path, &saved, message, sizeof message) < 0) {
    free(path);
    throw_coded(env, "NETNS", message);
    return NULL;
  }
  free(path);
  struct ifaddrs *all = NULL;
  int rc = getifaddrs(&all);
  int err = errno;
  netns_leave(saved);
  if (rc < 0) {
    snprintf(message, sizeof message, "getifaddrs: %s", strerror(err));
    throw_coded(env, "NETNS", message);
    return NULL;
  }
  napi_value list, entry;
  napi_status s = napi_create_array(env, &list);
  for (const struct ifaddrs *a = all; s == napi_ok && a != NULL; a = a->ifa_next) {
    if (a->ifa_name == NULL || strlen(a->ifa_name) > IF_NAMESIZE) continue;
    if ((s = entry_for(env, list, a->ifa_name, &entry)) == napi_ok) s = describe_address(env, entry, a);
  }
  freeifaddrs(all);
  if (s != napi_ok) {
    napi_throw_error(env, NULL, "cannot describe the interfaces");
    return NULL;
  }
  return list;
}

napi_status register_netns(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"links", NULL, Links, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
