/*
 * Raw IPv4 sending for the GRE and VXLAN sinks: one sendmmsg(2) per up to
 * SEND_MAX datagrams instead of one sendto(2) — and one JavaScript-to-native
 * crossing — per datagram. The kernel adds the IP header (and fragments).
 *
 *   rawOpen(protocol, device | null, pmtudisc | -1) -> fd      throws Error with `errno`
 *   rawSend(fd, datagrams, lengths, start, count, address) -> n
 *       sends datagrams[start..count) (packed back to back in one Buffer,
 *       lengths in a Uint32Array) to the IPv4 address (uint32, host order).
 *       n > 0: that many went out, in order; the next one, if any, met an
 *       error (call again from there to learn which); n = -errno: the
 *       datagram at `start` failed.
 *   rawClose(fd)
 */
#define _GNU_SOURCE /* sendmmsg */
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "native.h"

/* The kernel's UIO_MAXIOV: the most messages one sendmmsg takes. */
#define SEND_MAX 1024

/* Only the main thread sends: one set of message headers serves every socket. */
static struct mmsghdr messages[SEND_MAX];
static struct iovec vectors[SEND_MAX];

static napi_value throw_errno(napi_env env, int err, const char *what) {
  napi_value msg, error, code;
  char text[256];
  snprintf(text, sizeof text, "%s%s%s", what, what[0] ? ": " : "", strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, err, &code);
  napi_set_named_property(env, error, "errno", code);
  napi_throw(env, error);
  return NULL;
}

static napi_value RawOpen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t protocol, pmtudisc;
  napi_valuetype device_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &protocol) != napi_ok || napi_typeof(env, argv[1], &device_type) != napi_ok ||
      napi_get_value_int32(env, argv[2], &pmtudisc) != napi_ok) {
    napi_throw_type_error(env, NULL, "rawOpen(protocol, device | null, pmtudisc | -1)");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, errno, "");
  if (device_type == napi_string) {
    char device[IFNAMSIZ_MAX];
    size_t len;
    napi_get_value_string_utf8(env, argv[1], device, sizeof device, &len);
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)len + 1) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, err, "SO_BINDTODEVICE");
    }
  }
  if (pmtudisc >= 0 && setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtudisc, sizeof pmtudisc) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "IP_MTU_DISCOVER");
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value RawSend(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t fd;
  uint32_t start, count, address;
  uint8_t *data;
  size_t data_len, lengths_count;
  napi_typedarray_type lengths_type;
  void *lengths_data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], (void **)&data, &data_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &lengths_type, &lengths_count, &lengths_data, NULL, NULL) != napi_ok ||
      lengths_type != napi_uint32_array || napi_get_value_uint32(env, argv[3], &start) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &count) != napi_ok || napi_get_value_uint32(env, argv[5], &address) != napi_ok ||
      count > lengths_count || start > count) {
    napi_throw_type_error(env, NULL, "rawSend(fd, datagrams: Buffer, lengths: Uint32Array, start, count, address)");
    return NULL;
  }
  const uint32_t *lengths = lengths_data;
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(address);
  size_t offset = 0;
  for (uint32_t i = 0; i < start; i++) offset += lengths[i];
  int64_t sent = 0;
  int err = 0;
  uint32_t i = start;
  while (i < count) {
    unsigned n = 0;
    for (; n < SEND_MAX && i + n < count; n++) {
      uint32_t len = lengths[i + n];
      if (offset + len > data_len) break;
      vectors[n].iov_base = data + offset;
      vectors[n].iov_len = len;
      memset(&messages[n].msg_hdr, 0, sizeof messages[n].msg_hdr);
      messages[n].msg_hdr.msg_name = &to;
      messages[n].msg_hdr.msg_namelen = sizeof to;
      messages[n].msg_hdr.msg_iov = &vectors[n];
      messages[n].msg_hdr.msg_iovlen = 1;
      offset += len;
    }
    if (n == 0) {
      err = EINVAL; /* lengths run past the buffer */
      break;
    }
    int r = sendmmsg(fd, messages, n, MSG_DONTWAIT);
    if (r < 0) {
      err = errno;
      break;
    }
    sent += r;
    i += (uint32_t)r;
    if ((unsigned)r < n) break;
  }
  napi_value result;
  napi_create_int64(env, sent == 0 && err != 0 ? -(int64_t)err : sent, &result);
  return result;
}

static napi_value RawClose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "rawClose(fd)");
    return NULL;
  }
  close(fd);
  return NULL;
}

napi_status register_raw_sender(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"rawOpen", NULL, RawOpen, NULL, NULL, NULL, napi_default, NULL},
      {"rawSend", NULL, RawSend, NULL, NULL, NULL, napi_default, NULL},
      {"rawClose", NULL, RawClose, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
