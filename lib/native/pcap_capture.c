/*
 * Live capture for LiveSource: libpcap in its default (TPACKET_V3) mode, read
 * from libuv's event loop, handed to JavaScript as whole batches: the frames
 * and their columns in one buffer (capture_batch.h). Why our own binding and not `cap` (test/bench/README.md has
 * the numbers): `cap` forces immediate mode (a TPACKET_V2 ring of 64 KiB slots,
 * one wake-up per frame), calls JavaScript once per frame, gives no capture
 * timestamps and no pcap_stats, and aborts the process when the interface goes
 * down. Here the kernel fills whole blocks, one wake-up drains every ready
 * block into one buffer (one JavaScript call per wake-up), timestamps are the
 * kernel's (nanoseconds), drops are counted by pcap_stats, and a vanished
 * interface is an error delivered to JavaScript.
 *
 *   open(device, filter, snaplen, bufferBytes, timeoutMs, promisc, onBatch, onError[, netns[, fanout]])
 *     -> { handle, linktype, nanos }
 *     fanout 1..65535: the socket joins that PACKET_FANOUT group (flow hash) once
 *     activated, so that handles of one group share the interface's frames, each
 *     flow on one handle; 0, undefined or null: no group.
 *     throws an Error with `code`: 'PERM' (no permission to capture: needs
 *     root or CAP_NET_RAW), 'NODEV' (no such device), 'FILTER' (the filter
 *     does not compile), 'OPEN' (anything else), 'RANGE' (a RangeError: an
 *     argument out of range); a TypeError for arguments of the wrong type.
 *   resume(handle) / pause(handle)         start / stop reading (stream backpressure)
 *   drain(handle) -> Buffer | undefined    read what is ready now, synchronously
 *   provide(handle, buffer)                a batch buffer read into again (recycling)
 *   stats(handle) -> [received, dropped, ifdropped] | null
 *   close(handle)                          idempotent
 *   captureBatch                           the batch buffer's layout: its length and
 *                                          where the count and each column lie
 *
 * onBatch(batch: Buffer) gets a batch buffer of at least one frame, laid out as
 * capture_batch.h says (lib/proto/capture-batch.ts reads it). onError(message, exception?) is called once when reading fails (the
 * interface went down or disappeared) or onBatch threw (`exception`);
 * reading has stopped then and the handle must be closed.
 *
 * A handle that is garbage-collected without close() is closed then; one
 * still open when its Node environment ends (a worker thread exits) is closed
 * before the environment's event loop goes away. The callbacks are held until
 * close(): a handle they refer to stays reachable and is not collected.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_batch.h"

/* Records, batches, the callbacks and stats() are capture_batch.c's; here is reading from libuv's loop. */
typedef struct capture {
  capture_core_t core; /* first: capture_batch.c's part */
  uv_poll_t poll;
  /* Holds the environment's teardown until the poll handle is closed (on_poll_closed). */
  napi_async_cleanup_hook_handle teardown;
  int polling;
  int poll_initialised;
} capture_t;

static void stop_polling(capture_t *c) {
  if (c->polling) {
    uv_poll_stop(&c->poll);
    c->polling = 0;
  }
}

static void on_poll_closed(uv_handle_t *handle) {
  capture_t *c = handle->data;
  pcap_close(c->core.pcap);
  c->core.pcap = NULL;
  c->core.source_released = 1;
  if (c->teardown != NULL) napi_remove_async_cleanup_hook(c->teardown);
  c->teardown = NULL;
  capture_maybe_free(&c->core);
}

/* close(), the finalizer and the environment's teardown all end here; the first one closes. */
static void close_capture(capture_t *c) {
  if (c->core.closed) return;
  c->core.closed = 1;
  stop_polling(c);
  capture_release_callbacks(&c->core);
  /* libpcap owns the socket: close it only once libuv has let go of it. */
  if (c->poll_initialised) uv_close((uv_handle_t *)&c->poll, on_poll_closed);
  else on_poll_closed((uv_handle_t *)&c->poll);
}

static void on_teardown(napi_async_cleanup_hook_handle hook, void *data) {
  (void)hook;
  close_capture(data);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  capture_t *c = handle->data;
  capture_deliver(&c->core, status < 0 ? uv_strerror(status) : NULL);
}

/* What capture_batch.c asks of this file. */
static void stop_core(capture_core_t *core) {
  stop_polling((capture_t *)core);
}

static const char *start_core(capture_core_t *core) {
  capture_t *c = (capture_t *)core;
  if (c->polling) return NULL;
  int rc = uv_poll_start(&c->poll, UV_READABLE, on_readable);
  if (rc != 0) return uv_strerror(rc);
  c->polling = 1;
  return NULL;
}

static void close_core(capture_core_t *core) {
  close_capture((capture_t *)core);
}

static const capture_ops_t ops = {.start = start_core, .stop = stop_core, .close = close_core, .after_gather = NULL};

/*
 * Joins the activated socket to fanout group `group`: the kernel hands each frame of the device to
 * one socket of the group, chosen by the flow hash (skb_get_hash: addresses and ports), so each flow
 * stays on one socket and in order. No PACKET_FANOUT_FLAG_DEFRAG: it would hand over reassembled
 * datagrams instead of the fragments on the wire (the fragments of one datagram hash on their
 * addresses alone, so they too stay together). Joining after the filter is set: a frame the group
 * gives this socket meets the same filter as on every other member. The group lives while it has
 * members; the first socket to join an id creates it, bound to this device. 0, or -1 with `message`.
 */
static int join_fanout(int fd, int64_t group, char *message, size_t size) {
  int arg = (int)group | (PACKET_FANOUT_HASH << 16);
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) == 0) return 0;
  snprintf(message, size, "cannot join fanout group %d: %s", (int)group, strerror(errno));
  return -1;
}

/* capture_configure, the fanout group, then what libuv needs of the handle: a file descriptor, not inherited. */
static const char *start_pcap(pcap_t *p, const char *filter, const capture_options_t *o, int64_t fanout, char *message, size_t size) {
  const char *code = capture_configure(p, filter, o, "needs root or CAP_NET_RAW", message, size);
  if (code != NULL) return code;
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) {
    snprintf(message, size, "the device has no selectable file descriptor");
    return "OPEN";
  }
  if (fanout > 0 && join_fanout(fd, fanout, message, size) < 0) return "OPEN";
  /* libpcap opens its socket without SOCK_CLOEXEC: every child process would inherit the capture
   * socket and keep it (and its ring) alive after we close it. */
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
    snprintf(message, size, "cannot set close-on-exec on the capture socket: %s", strerror(errno));
    return "OPEN";
  }
  return NULL;
}

/* open()'s part with libuv: the callbacks, the teardown hook, the poll handle on libpcap's socket. 0 or -1. */
static int set_up(capture_t *c, const napi_value *argv) {
  napi_env env = c->core.env;
  napi_value name;
  struct uv_loop_s *loop;
  if (capture_init_callbacks(&c->core, argv, &name) < 0 || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_add_async_cleanup_hook(env, on_teardown, c, &c->teardown) != napi_ok)
    return -1;
  if (uv_poll_init(loop, &c->poll, pcap_get_selectable_fd(c->core.pcap)) != 0) return -1;
  c->poll_initialised = 1;
  return 0;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (get_args(env, info, argv, 10, 8, CAPTURE_OPEN_USAGE) < 0) return NULL;
  /* Every argument is checked before anything is acquired. */
  capture_options_t o;
  int64_t fanout = 0;
  napi_valuetype fanout_type;
  if (napi_typeof(env, argv[9], &fanout_type) != napi_ok) return NULL;
  if (fanout_type != napi_undefined && fanout_type != napi_null && get_integer(env, argv[9], "fanout", 0, 65535, &fanout) < 0) return NULL;
  char *device, *filter;
  if (capture_get_options(env, argv, &o) < 0 || capture_get_strings(env, argv, &device, &filter) < 0) return NULL;
  char *netns = NULL;
  if (get_netns_arg(env, argv[8], &netns) < 0) {
    free(device);
    free(filter);
    return NULL;
  }

  /* The socket is created and bound to the device inside `netns` (a container's); it keeps capturing
   * there after this thread returns to ours, right after activation. */
  char message[PCAP_ERRBUF_SIZE + 4096 + 128] = "";
  int saved;
  if (netns_enter(netns, &saved, message, sizeof message) < 0) {
    free(netns);
    free(device);
    free(filter);
    throw_coded(env, "NETNS", message);
    return NULL;
  }
  free(netns);
  pcap_t *p = pcap_create(device, message);
  free(device);
  const char *code = p == NULL ? "OPEN" : start_pcap(p, filter, &o, fanout, message, sizeof message);
  netns_leave(saved);
  free(filter);
  napi_value handle;
  capture_t *c = (capture_t *)capture_new(env, p, code, message, sizeof message, sizeof *c, &ops, &handle);
  if (c == NULL) return NULL;

  /* From here the handle owns c: a failure closes it (close_capture) and its finalizer frees it. */
  c->poll.data = c;
  return capture_finish_open(&c->core, handle, set_up(c, argv) == 0);
}

napi_status register_pcap_capture(napi_env env, napi_value exports) {
  return capture_register(env, exports, Open, NULL);
}
