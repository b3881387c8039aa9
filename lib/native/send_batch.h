/*
 * What raw sending does the same way on Linux (raw_sender.c) and Windows (raw_sender_win.c): the
 * arguments of rawOpen, rawSend and rawClose, rawSend's result, the Error thrown when a socket cannot
 * be opened. Each platform file keeps the socket calls: sendmmsg and a socket filter on Linux (the
 * sendmmsg loop shared with packet_sender.c), sendto per datagram on Windows.
 */
#ifndef PACKET_AGENT_SEND_BATCH_H
#define PACKET_AGENT_SEND_BATCH_H
#ifdef _WIN32
#include "native_win.h"
#else
#include <netinet/in.h>
#endif
#include <stdint.h>
#include "native.h"

/* The kernel's UIO_MAXIOV: the most messages one sendmmsg takes (raw_sender.c, packet_sender.c). */
#define SEND_MAX 1024

/*
 * The datagrams rawSend and packetSend take (and encapAppend writes) lie in one buffer, each after
 * DATAGRAM_HEADROOM bytes of its own: the room where packetSend writes the frame's Ethernet and IPv4
 * headers, so that a frame goes to the kernel as one piece (one iovec, measured ~4 % cheaper than
 * headers and datagram apart). rawSend skips it. Exported to JavaScript as `datagramHeadroom`.
 */
#define DATAGRAM_HEADROOM 34

/* Linux <linux/in.h>: IP_PMTUDISC_DONT (0) to IP_PMTUDISC_OMIT (5). */
#define PMTUDISC_MAX 5

/* rawOpen(protocol, device | null, pmtudisc | -1): *device_type is that of argv[1], still to read. 0, or -1 after throwing. */
int send_open_args(napi_env env, napi_callback_info info, napi_value *argv, int64_t *protocol, napi_valuetype *device_type, int64_t *pmtudisc);

/* rawSend(fd, datagrams, lengths, start, count, address) or packetSend's first six arguments, checked: datagrams start..count, each after its
 * DATAGRAM_HEADROOM, lie in `data`. */
typedef struct send_batch {
  int64_t fd;
  int64_t start;
  int64_t count;
  uint8_t *data;
  const uint32_t *lengths;
  size_t offset; /* of datagram `start` in data (after its headroom) */
  uint32_t target; /* the sixth argument: rawSend's IPv4 address, packetSend's interface index */
  struct sockaddr_in to; /* target as an IPv4 socket address */
  void *scratch; /* the function's data (napi_property_descriptor) */
} send_batch_t;
#define RAW_SEND_USAGE "rawSend(fd, datagrams: Buffer, lengths: Uint32Array, start, count, address)"
/* 0, or -1 after throwing (a TypeError showing `usage`, or RANGE); fd is at most fd_max. */
int send_batch_args(napi_env env, napi_callback_info info, int64_t fd_max, const char *usage, send_batch_t *b);
/* rawSend's result: `sent`, or -err when none went out and the first failed with errno `err`. */
napi_value send_batch_result(napi_env env, int64_t sent, int err);
/* How rawClose closes a socket: the largest number it can be, and the platform's close. */
typedef struct send_closer {
  int64_t fd_max;
  void (*close)(int64_t fd);
} send_closer_t;

/* Defines rawOpen, rawSend (with `send_data` as its data), rawClose (with `closer`) and datagramHeadroom on exports. */
napi_status send_register(napi_env env, napi_value exports, napi_callback open, napi_callback send, void *send_data, const send_closer_t *closer);

/* Throws an Error `text` with `code` ('PERM' when err_no is EPERM or EACCES, else 'OPEN') and `errno`; returns NULL. */
napi_value throw_socket_error(napi_env env, int err_no, const char *text);
/* The same with the text "what: strerror(err_no)", or strerror alone when `what` is empty. */
napi_value throw_socket_errno(napi_env env, int err_no, const char *what);

/* `size` bytes of scratch memory for one Node environment's sends (its message headers), freed with the environment; NULL when out of memory. */
void *send_scratch(napi_env env, size_t size);

#ifndef _WIN32
struct mmsghdr; /* <sys/socket.h> with _GNU_SOURCE */

/*
 * Linux (raw_sender.c): the sendmmsg loop of rawSend and packetSend. `build` fills message `k` of a
 * call for the datagram `index` places after `start` (`len` bytes at `data`, DATAGRAM_HEADROOM bytes
 * of room before it; the message header is zeroed) and returns 0, or an errno to send nothing from that datagram on: the call ends there.
 * Returns how many went out from `start`; *err is the errno that stopped the first call sending
 * nothing (send_batch_result makes rawSend's result of the two).
 */
typedef int (*message_builder_t)(void *context, struct mmsghdr *message, unsigned k, int64_t index, uint8_t *data, uint32_t len);
int64_t send_messages(const send_batch_t *b, struct mmsghdr *messages, message_builder_t build, void *context, int *err);
#endif

#endif
