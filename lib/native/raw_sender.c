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
 *       sends datagrams[start..count) (in one Buffer, each after its
 *       DATAGRAM_HEADROOM bytes, send_batch.h; lengths in a Uint32Array) to
 *       the IPv4 address (uint32, host order).
 *       n > 0: that many went out, in order; the next one, if any, met an
 *       error (call again from there to learn which); n = -errno: the
 *       datagram at `start` failed. start <= count <= lengths.length and
 *       the lengths up to count, with their headroom, must fit in the Buffer,
 *       else RANGE.
 *   rawClose(fd)
 */
#define _GNU_SOURCE /* sendmmsg */
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "send_batch.h"

/* Message headers for one sendmmsg, one set per Node environment (the main thread and each worker
 * thread that loads the addon), given to rawSend as its data: a static set would be shared by
 * threads sending at the same time. */
typedef struct scratch {
  struct mmsghdr messages[SEND_MAX];
  struct iovec vectors[SEND_MAX];
  const send_batch_t *batch; /* the call's, for build_raw */
} scratch_t;

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
  napi_value argv[3];
  int64_t protocol, pmtudisc;
  napi_valuetype device_type;
  if (send_open_args(env, info, argv, &protocol, &device_type, &pmtudisc) < 0) return NULL;
  char *device = NULL;
  /* The kernel cuts a longer SO_BINDTODEVICE name to IFNAMSIZ - 1 bytes: it could bind to another device. */
  if (device_type != napi_null && (device = get_string(env, argv[1], "device", IFNAMSIZ - 1)) == NULL) return NULL;
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, (int)protocol);
  if (fd < 0) {
    free(device);
    return throw_socket_errno(env, errno, "");
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
    return throw_socket_errno(env, err, failed);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* One datagram, to the address all share. */
static int build_raw(void *context, struct mmsghdr *message, unsigned k, int64_t index, uint8_t *data, uint32_t len) {
  scratch_t *scratch = context;
  const send_batch_t *b = scratch->batch;
  scratch->vectors[k] = (struct iovec){.iov_base = data, .iov_len = len};
  message->msg_hdr.msg_name = (void *)&b->to;
  message->msg_hdr.msg_namelen = sizeof b->to;
  message->msg_hdr.msg_iov = &scratch->vectors[k];
  message->msg_hdr.msg_iovlen = 1;
  return 0;
}

static napi_value RawSend(napi_env env, napi_callback_info info) {
  send_batch_t b;
  if (send_batch_args(env, info, INT32_MAX, RAW_SEND_USAGE, &b) < 0) return NULL;
  scratch_t *scratch = b.scratch;
  scratch->batch = &b;
  int err;
  int64_t sent = send_messages(&b, scratch->messages, build_raw, scratch, &err);
  return send_batch_result(env, sent, err);
}

int64_t send_messages(const send_batch_t *b, struct mmsghdr *messages, message_builder_t build, void *context, int *err) {
  size_t offset = b->offset;
  int64_t sent = 0;
  *err = 0;
  int64_t i = b->start;
  while (i < b->count) {
    unsigned n = 0;
    int refused = 0;
    for (; n < SEND_MAX && i + n < b->count; n++) {
      uint32_t len = b->lengths[i + n];
      memset(&messages[n].msg_hdr, 0, sizeof messages[n].msg_hdr);
      if ((refused = build(context, &messages[n], n, i + n - b->start, b->data + offset, len)) != 0) break;
      offset += len + DATAGRAM_HEADROOM;
    }
    if (n == 0) {
      *err = refused;
      break;
    }
    int r = sendmmsg((int)b->fd, messages, n, MSG_DONTWAIT);
    if (r < 0) {
      *err = errno;
      break;
    }
    sent += r;
    i += r;
    if ((unsigned)r < n) break;
  }
  return sent;
}

static void close_socket(int64_t fd) {
  close((int)fd);
}

static const send_closer_t closer = {INT32_MAX, close_socket};

napi_status register_raw_sender(napi_env env, napi_value exports) {
  scratch_t *scratch = send_scratch(env, sizeof *scratch);
  if (scratch == NULL) return napi_generic_failure;
  return send_register(env, exports, RawOpen, RawSend, scratch, &closer);
}
