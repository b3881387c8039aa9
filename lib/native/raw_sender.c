/*
 * Raw IPv4 sending for the GRE and VXLAN sinks: one sendmmsg(2) per up to
 * SEND_MAX datagrams instead of one sendto(2) — and one JavaScript-to-native
 * crossing — per datagram. The kernel adds the IP header (and fragments).
 *
 *   rawOpen(protocol, device | null, pmtudisc | -1) -> fd
 *       throws Error with `errno` and `code` 'PERM' (EPERM, EACCES: needs
 *       CAP_NET_RAW) or 'OPEN'; a RangeError with code 'RANGE' for arguments
 *       out of range. The socket never delivers anything: see drop_everything.
 *   rawSend(fd, datagrams, lengths, start, count, address) -> n
 *       sends datagrams[start..count) (packed back to back in one Buffer,
 *       lengths in a Uint32Array) to the IPv4 address (uint32, host order).
 *       n > 0: that many went out, in order; the next one, if any, met an
 *       error (call again from there to learn which); n = -errno: the
 *       datagram at `start` failed. start <= count <= lengths.length and
 *       the lengths up to count must fit in the Buffer, else RANGE.
 *   rawClose(fd)
 */
#define _GNU_SOURCE /* sendmmsg */
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "native.h"

/* The kernel's UIO_MAXIOV: the most messages one sendmmsg takes. */
#define SEND_MAX 1024
/* Linux <linux/in.h>: IP_PMTUDISC_DONT (0) to IP_PMTUDISC_OMIT (5). */
#define PMTUDISC_MAX 5

/* Message headers for one sendmmsg, one set per Node environment (the main thread and each worker
 * thread that loads the addon), given to rawSend as its data: a static set would be shared by
 * threads sending at the same time. */
typedef struct scratch {
  struct mmsghdr messages[SEND_MAX];
  struct iovec vectors[SEND_MAX];
} scratch_t;

static napi_value throw_errno(napi_env env, int err, const char *what) {
  napi_value msg, error, code, errno_value;
  char text[256];
  snprintf(text, sizeof text, "%s%s%s", what, what[0] ? ": " : "", strerror(err));
  napi_create_string_utf8(env, err == EPERM || err == EACCES ? "PERM" : "OPEN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

/* A raw socket receives a copy of every inbound datagram of its protocol (all the GRE, or all the
 * UDP, reaching the host). Nothing reads it, so without a filter each socket would hold a full
 * receive buffer of other people's packets and the kernel would clone every one for it. A filter
 * that accepts nothing (one `ret #0`) stops that before the copy is queued, the smallest receive
 * buffer bounds what could still slip in, and what arrived before the filter is read away. */
static int drop_everything(int fd) {
  struct sock_filter reject = BPF_STMT(BPF_RET | BPF_K, 0);
  struct sock_fprog program = {.len = 1, .filter = &reject};
  int smallest = 0; /* the kernel raises it to its minimum */
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &smallest, sizeof smallest) < 0)
    return -1;
  char byte;
  while (recv(fd, &byte, 1, MSG_DONTWAIT | MSG_TRUNC) >= 0) {
  }
  return 0;
}

static napi_value RawOpen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t protocol, pmtudisc;
  napi_valuetype device_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || napi_typeof(env, argv[1], &device_type) != napi_ok) {
    napi_throw_type_error(env, NULL, "rawOpen(protocol, device | null, pmtudisc | -1)");
    return NULL;
  }
  if (get_integer(env, argv[0], "protocol", 1, 255, &protocol) < 0 || get_integer(env, argv[2], "pmtudisc", -1, PMTUDISC_MAX, &pmtudisc) < 0)
    return NULL;
  char *device = NULL;
  /* The kernel cuts a longer SO_BINDTODEVICE name to IFNAMSIZ - 1 bytes: it could bind to another device. */
  if (device_type != napi_null && (device = get_string(env, argv[1], "device", IFNAMSIZ - 1)) == NULL) return NULL;
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, (int)protocol);
  if (fd < 0) {
    free(device);
    return throw_errno(env, errno, "");
  }
  const char *failed = NULL;
  int value = (int)pmtudisc;
  if (drop_everything(fd) < 0) failed = "socket filter";
  else if (device != NULL && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device) + 1) < 0) failed = "SO_BINDTODEVICE";
  else if (pmtudisc >= 0 && setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &value, sizeof value) < 0) failed = "IP_MTU_DISCOVER";
  int err = errno;
  free(device);
  if (failed != NULL) {
    close(fd);
    return throw_errno(env, err, failed);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value RawSend(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  scratch_t *scratch;
  uint8_t *data;
  size_t data_len, lengths_count;
  napi_typedarray_type lengths_type;
  void *lengths_data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&scratch) != napi_ok || argc < 6 ||
      napi_get_buffer_info(env, argv[1], (void **)&data, &data_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &lengths_type, &lengths_count, &lengths_data, NULL, NULL) != napi_ok ||
      lengths_type != napi_uint32_array) {
    napi_throw_type_error(env, NULL, "rawSend(fd, datagrams: Buffer, lengths: Uint32Array, start, count, address)");
    return NULL;
  }
  int64_t fd, start, count, address;
  if (get_integer(env, argv[0], "fd", 0, INT32_MAX, &fd) < 0 || get_integer(env, argv[4], "count", 0, (int64_t)lengths_count, &count) < 0 ||
      get_integer(env, argv[3], "start", 0, count, &start) < 0 || get_integer(env, argv[5], "address", 0, UINT32_MAX, &address) < 0)
    return NULL;
  const uint32_t *lengths = lengths_data;
  /* At most 2^32 lengths of less than 2^32 each: the sum fits in 64 bits. */
  uint64_t total = 0;
  for (int64_t i = 0; i < count; i++) total += lengths[i];
  if (total > data_len) {
    char message[160];
    snprintf(message, sizeof message, "lengths up to count add up to %" PRIu64 " bytes, more than the %zu of datagrams", total, data_len);
    napi_throw_range_error(env, "RANGE", message);
    return NULL;
  }
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl((uint32_t)address);
  size_t offset = 0;
  for (int64_t i = 0; i < start; i++) offset += lengths[i];
  int64_t sent = 0;
  int err = 0;
  int64_t i = start;
  while (i < count) {
    unsigned n = 0;
    for (; n < SEND_MAX && i + n < count; n++) {
      uint32_t len = lengths[i + n];
      scratch->vectors[n].iov_base = data + offset;
      scratch->vectors[n].iov_len = len;
      memset(&scratch->messages[n].msg_hdr, 0, sizeof scratch->messages[n].msg_hdr);
      scratch->messages[n].msg_hdr.msg_name = &to;
      scratch->messages[n].msg_hdr.msg_namelen = sizeof to;
      scratch->messages[n].msg_hdr.msg_iov = &scratch->vectors[n];
      scratch->messages[n].msg_hdr.msg_iovlen = 1;
      offset += len;
    }
    int r = sendmmsg((int)fd, scratch->messages, n, MSG_DONTWAIT);
    if (r < 0) {
      err = errno;
      break;
    }
    sent += r;
    i += r;
    if ((unsigned)r < n) break;
  }
  napi_value result;
  napi_create_int64(env, sent == 0 && err != 0 ? -(int64_t)err : sent, &result);
  return result;
}

static napi_value RawClose(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd;
  if (get_args(env, info, argv, 1, 1, "rawClose(fd)") < 0) return NULL;
  if (get_integer(env, argv[0], "fd", 0, INT32_MAX, &fd) < 0) return NULL;
  close((int)fd);
  return NULL;
}

static void free_scratch(void *scratch) {
  free(scratch);
}

napi_status register_raw_sender(napi_env env, napi_value exports) {
  scratch_t *scratch = malloc(sizeof *scratch);
  if (scratch == NULL) return napi_generic_failure;
  napi_status status = napi_add_env_cleanup_hook(env, free_scratch, scratch);
  if (status != napi_ok) {
    free(scratch);
    return status;
  }
  napi_property_descriptor props[] = {
      {"rawOpen", NULL, RawOpen, NULL, NULL, NULL, napi_default, NULL},
      {"rawSend", NULL, RawSend, NULL, NULL, NULL, napi_default, scratch},
      {"rawClose", NULL, RawClose, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
