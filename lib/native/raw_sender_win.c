/*
 * Windows: raw IPv4 sending for the GRE and VXLAN sinks, behind the same
 * functions as raw_sender.c. Winsock has no sendmmsg: rawSend makes one
 * sendto() per datagram, still one JavaScript-to-native crossing per chunk.
 *
 *   rawOpen(protocol, null, -1) -> socket (a number)
 *       a raw IPv4 socket (the stack adds the IP header), non-blocking, not
 *       inherited by child processes. Raw sockets need an Administrator
 *       (elevated) process: otherwise WSAEACCES, thrown with code 'PERM'.
 *       A device (-B) or a PMTU discovery setting (-M) throws 'UNSUPPORTED'.
 *   rawSend(socket, datagrams, lengths, start, count, address) -> n or -errno
 *       as on Linux; Winsock's errors are given as the C runtime's errno
 *       numbers Node uses on Windows (os.constants.errno): WSAEWOULDBLOCK is
 *       EAGAIN, WSAENOBUFS ENOBUFS, so the sinks' retry works unchanged.
 *   rawClose(socket)
 *
 * Windows gives a raw socket copies of inbound datagrams of its protocol too,
 * and has no socket filter to refuse them: the receive buffer is set to 0, so
 * nothing is queued for a socket that never reads.
 */
#define NAPI_VERSION 8
#include "native_win.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Socket handles are kernel handle values; JavaScript numbers hold them exactly below 2^53. */
#define SOCKET_MAX ((int64_t)1 << 52)

static int errno_of(int wsa) {
  switch (wsa) {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEACCES: return EACCES;
    case WSAEHOSTUNREACH: return EHOSTUNREACH;
    case WSAENETUNREACH: return ENETUNREACH;
    case WSAENETDOWN: return ENETDOWN;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAEINVAL: return EINVAL;
    case WSAENOTSOCK: return EBADF;
    default: return EIO;
  }
}

static napi_value throw_wsa(napi_env env, int wsa, const char *what) {
  char text[512], words[400];
  win_error_text((DWORD)wsa, words, sizeof words);
  snprintf(text, sizeof text, "%s%s%s (WSA error %d)%s", what, what[0] ? ": " : "", words, wsa,
           wsa == WSAEACCES ? "; raw sockets need an Administrator (elevated) process" : "");
  napi_value msg, error, code, errno_value;
  napi_create_string_utf8(env, wsa == WSAEACCES ? "PERM" : "OPEN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, errno_of(wsa), &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
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
  if (get_integer(env, argv[0], "protocol", 1, 255, &protocol) < 0 || get_integer(env, argv[2], "pmtudisc", -1, 5, &pmtudisc) < 0) return NULL;
  if (device_type != napi_null) return throw_unsupported(env, "binding a raw socket to a device (-B)");
  if (pmtudisc >= 0) return throw_unsupported(env, "setting path MTU discovery (-M)");
  SOCKET s = WSASocketW(AF_INET, SOCK_RAW, (int)protocol, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return throw_wsa(env, WSAGetLastError(), "");
  u_long nonblocking = 1;
  int nothing = 0;
  const char *failed = NULL;
  if (ioctlsocket(s, FIONBIO, &nonblocking) != 0) failed = "FIONBIO";
  else if (setsockopt(s, SOL_SOCKET, SO_RCVBUF, (const char *)&nothing, sizeof nothing) != 0) failed = "SO_RCVBUF";
  if (failed != NULL) {
    int err = WSAGetLastError();
    closesocket(s);
    return throw_wsa(env, err, failed);
  }
  if ((uint64_t)s > (uint64_t)SOCKET_MAX) {
    closesocket(s);
    throw_coded(env, "OPEN", "the socket handle is too large for a JavaScript number");
    return NULL;
  }
  napi_value result;
  napi_create_int64(env, (int64_t)s, &result);
  return result;
}

static napi_value RawSend(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  uint8_t *data;
  size_t data_len, lengths_count;
  napi_typedarray_type lengths_type;
  void *lengths_data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || napi_get_buffer_info(env, argv[1], (void **)&data, &data_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &lengths_type, &lengths_count, &lengths_data, NULL, NULL) != napi_ok || lengths_type != napi_uint32_array) {
    napi_throw_type_error(env, NULL, "rawSend(fd, datagrams: Buffer, lengths: Uint32Array, start, count, address)");
    return NULL;
  }
  int64_t fd, start, count, address;
  if (get_integer(env, argv[0], "fd", 0, SOCKET_MAX, &fd) < 0 || get_integer(env, argv[4], "count", 0, (int64_t)lengths_count, &count) < 0 ||
      get_integer(env, argv[3], "start", 0, count, &start) < 0 || get_integer(env, argv[5], "address", 0, UINT32_MAX, &address) < 0)
    return NULL;
  const uint32_t *lengths = lengths_data;
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
  for (int64_t i = start; i < count; i++) {
    /* A datagram is at most 65535 bytes: a larger length fails in sendto with WSAEMSGSIZE, as on Linux. */
    int len = lengths[i] > INT_MAX ? INT_MAX : (int)lengths[i];
    if (sendto((SOCKET)fd, (const char *)data + offset, len, 0, (const struct sockaddr *)&to, sizeof to) == SOCKET_ERROR) {
      err = errno_of(WSAGetLastError());
      break;
    }
    offset += lengths[i];
    sent++;
  }
  napi_value result;
  napi_create_int64(env, sent == 0 && err != 0 ? -(int64_t)err : sent, &result);
  return result;
}

static napi_value RawClose(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd;
  if (get_args(env, info, argv, 1, 1, "rawClose(fd)") < 0 || get_integer(env, argv[0], "fd", 0, SOCKET_MAX, &fd) < 0) return NULL;
  closesocket((SOCKET)fd);
  return NULL;
}

static void cleanup_winsock(void *arg) {
  WSACleanup();
}

napi_status register_raw_sender(napi_env env, napi_value exports) {
  /* Node (libuv) has started Winsock already; our own reference keeps it ours to count. */
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return napi_generic_failure;
  napi_status status = napi_add_env_cleanup_hook(env, cleanup_winsock, NULL);
  if (status != napi_ok) {
    WSACleanup();
    return status;
  }
  napi_property_descriptor props[] = {
      {"rawOpen", NULL, RawOpen, NULL, NULL, NULL, napi_default, NULL},
      {"rawSend", NULL, RawSend, NULL, NULL, NULL, napi_default, NULL},
      {"rawClose", NULL, RawClose, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
