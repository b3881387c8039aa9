/*
 * tcpSendQueues(): [remote "a.b.c.d:port", bytes][] for each established IPv4 TCP socket of this
 * process: the bytes it holds that the remote has not acknowledged (SIOCOUTQ: write_seq - snd_una,
 * the tx_queue column of /proc/net/tcp). ZmqSink confirms delivery with it (lib/sinks/tcp-send-queue.ts).
 *
 * Why not the kernel's table: reading /proc/self/net/tcp walks every bucket of the namespace's
 * TCP hash, occupied or not, each second; on the bench host that was ~5 % of a live ZeroMQ run's
 * CPU (perf: established_get_first) to find the two or three sockets that are ours. Here the work
 * is one look at each of our file descriptors. A descriptor closed, or reused, between the listing
 * and the look is skipped or seen as what it now is, as a table read a moment later would.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/sockios.h>
#include "native.h"

/* Fills `remote` and `*queued` for an established IPv4 TCP socket `fd`; 0, or -1 for any other descriptor. */
static int send_queue(int fd, char *remote, size_t size, int *queued) {
  struct stat st;
  int value = 0;
  socklen_t len = sizeof value;
  if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len) < 0 || value != AF_INET) return -1;
  len = sizeof value;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len) < 0 || value != IPPROTO_TCP) return -1;
  struct tcp_info info;
  len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 || info.tcpi_state != TCP_ESTABLISHED) return -1;
  struct sockaddr_in peer;
  len = sizeof peer;
  if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0 || peer.sin_family != AF_INET || ioctl(fd, SIOCOUTQ, queued) < 0) return -1;
  char address[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, &peer.sin_addr, address, sizeof address) == NULL) return -1;
  snprintf(remote, size, "%s:%u", address, (unsigned)ntohs(peer.sin_port));
  return 0;
}

static napi_value TcpSendQueues(napi_env env, napi_callback_info info) {
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) {
    char message[128];
    snprintf(message, sizeof message, "cannot list /proc/self/fd: %s", strerror(errno));
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  int own = dirfd(dir);
  napi_value result = NULL;
  uint32_t n = 0;
  if (napi_create_array(env, &result) != napi_ok) result = NULL;
  for (struct dirent *e; result != NULL && (e = readdir(dir)) != NULL;) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    char remote[INET_ADDRSTRLEN + 8];
    int queued = 0;
    if (end == e->d_name || *end != '\0' || fd == own || send_queue((int)fd, remote, sizeof remote, &queued) < 0) continue;
    napi_value pair, text, bytes;
    if (napi_create_array_with_length(env, 2, &pair) != napi_ok || napi_create_string_utf8(env, remote, NAPI_AUTO_LENGTH, &text) != napi_ok ||
        napi_create_uint32(env, (uint32_t)queued, &bytes) != napi_ok || napi_set_element(env, pair, 0, text) != napi_ok ||
        napi_set_element(env, pair, 1, bytes) != napi_ok || napi_set_element(env, result, n++, pair) != napi_ok)
      result = NULL;
  }
  closedir(dir);
  return result;
}

napi_status register_tcp_queues(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"tcpSendQueues", NULL, TcpSendQueues, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
