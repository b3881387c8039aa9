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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "send_batch.h"

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
  return throw_socket_error(env, errno_of(wsa), text);
}

static napi_value RawOpen(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int64_t protocol, pmtudisc;
  napi_valuetype device_type;
  if (send_open_args(env, info, argv, &protocol, &device_type, &pmtudisc) < 0) return NULL;
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
  send_batch_t b;
  if (send_batch_args(env, info, SOCKET_MAX, RAW_SEND_USAGE, &b) < 0) return NULL;
  size_t offset = b.offset;
  int64_t sent = 0;
  int err = 0;
  for (int64_t i = b.start; i < b.count; i++) {
    /* A datagram is at most 65535 bytes: a larger length fails in sendto with WSAEMSGSIZE, as on Linux. */
    int len = b.lengths[i] > INT_MAX ? INT_MAX : (int)b.lengths[i];
    if (sendto((SOCKET)b.fd, (const char *)b.data + offset, len, 0, (const struct sockaddr *)&b.to, sizeof b.to) == SOCKET_ERROR) {
      err = errno_of(WSAGetLastError());
      break;
    }
    offset += b.lengths[i] + DATAGRAM_HEADROOM;
    sent++;
  }
  return send_batch_result(env, sent, err);
}

static void close_socket(int64_t fd) {
  closesocket((SOCKET)fd);
}

static const send_closer_t closer = {SOCKET_MAX, close_socket};

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
  return send_register(env, exports, RawOpen, RawSend, NULL, &closer);
}
