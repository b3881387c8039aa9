/*
 * -Z USER, as tcpdump's: once every capture handle, socket and file the
 * start-up needs is open, the process becomes USER and keeps only the
 * capabilities it still needs (reopening a capture after an interface
 * flap: CAP_NET_RAW and CAP_NET_ADMIN; entering a restarted container's
 * namespace: CAP_SYS_ADMIN and CAP_SYS_PTRACE).
 *
 * setuid(2) through glibc changes every thread of the process; capabilities
 * are per thread. PR_SET_KEEPCAPS on the calling (JavaScript) thread keeps
 * its permitted set across the change, capset(2) then makes the kept ones
 * effective; every other thread (libuv's pool, ZeroMQ's I/O threads) ends
 * with none, which is what they need.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "native.h"

#define USER_MAX 255

static napi_value user_object(napi_env env, uid_t uid, gid_t gid) {
  napi_value o, v;
  if (napi_create_object(env, &o) != napi_ok || napi_create_uint32(env, uid, &v) != napi_ok || napi_set_named_property(env, o, "uid", v) != napi_ok ||
      napi_create_uint32(env, gid, &v) != napi_ok || napi_set_named_property(env, o, "gid", v) != napi_ok)
    return NULL;
  return o;
}

/* getpwnam_r: the user's uid and primary gid, from whatever NSS the system uses. */
static int lookup(napi_env env, const char *name, uid_t *uid, gid_t *gid) {
  char buf[16384];
  struct passwd pw, *found = NULL;
  int rc = getpwnam_r(name, &pw, buf, sizeof buf, &found);
  if (found == NULL) {
    char message[USER_MAX + 64];
    snprintf(message, sizeof message, rc == 0 ? "no user named '%s'" : "cannot look up user '%s'", name);
    throw_coded(env, "NOUSER", message);
    return -1;
  }
  *uid = pw.pw_uid;
  *gid = pw.pw_gid;
  return 0;
}

static napi_value LookupUser(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, argv, 1, 1, "lookupUser(name)") < 0) return NULL;
  char *name = get_string(env, argv[0], "name", USER_MAX);
  if (name == NULL) return NULL;
  uid_t uid;
  gid_t gid;
  int rc = lookup(env, name, &uid, &gid);
  free(name);
  return rc < 0 ? NULL : user_object(env, uid, gid);
}

static napi_value fail(napi_env env, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(errno));
  throw_coded(env, errno == EPERM ? "PERM" : "PRIV", message);
  return NULL;
}

static napi_value DropPrivileges(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, argv, 3, 3, "dropPrivileges(uid, gid, capabilities)") < 0) return NULL;
  int64_t uid, gid;
  if (get_integer(env, argv[0], "uid", 0, 0xfffffffe, &uid) < 0 || get_integer(env, argv[1], "gid", 0, 0xfffffffe, &gid) < 0) return NULL;
  uint32_t count;
  if (napi_get_array_length(env, argv[2], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "capabilities must be an array");
    return NULL;
  }
  uint64_t keep = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    int64_t cap;
    if (napi_get_element(env, argv[2], i, &v) != napi_ok || get_integer(env, v, "capability", 0, CAP_LAST_CAP, &cap) < 0) return NULL;
    keep |= 1ull << cap;
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail(env, "PR_SET_KEEPCAPS");
  gid_t g = (gid_t)gid;
  if (setgroups(1, &g) < 0) return fail(env, "setgroups");
  if (setgid(g) < 0) return fail(env, "setgid");
  if (setuid((uid_t)uid) < 0) return fail(env, "setuid");
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return fail(env, "PR_SET_KEEPCAPS");
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = (uint32_t)keep;
  data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
  /* The raw system call: glibc has no wrapper, and libcap is one more dependency for four lines. */
  if (syscall(SYS_capset, &header, data) < 0) return fail(env, "capset");
  return user_object(env, (uid_t)uid, g);
}

napi_status register_privileges(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"lookupUser", NULL, LookupUser, NULL, NULL, NULL, napi_default, NULL},
      {"dropPrivileges", NULL, DropPrivileges, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
