/*
 * Live capture for LiveSource: libpcap in its default (TPACKET_V3) mode, read
 * from libuv's event loop, handed to JavaScript as whole batches of classic
 * pcap records. Why our own binding and not `cap` (test/bench/README.md has
 * the numbers): `cap` forces immediate mode (a TPACKET_V2 ring of 64 KiB slots,
 * one wake-up per frame), calls JavaScript once per frame, gives no capture
 * timestamps and no pcap_stats, and aborts the process when the interface goes
 * down. Here the kernel fills whole blocks, one wake-up drains every ready
 * block into one buffer (one JavaScript call per wake-up), timestamps are the
 * kernel's (nanoseconds), drops are counted by pcap_stats, and a vanished
 * interface is an error delivered to JavaScript.
 *
 *   open(device, filter, snaplen, bufferBytes, timeoutMs, promisc, onBatch, onError)
 *     -> { handle, linktype, nanos }
 *     throws an Error with `code`: 'PERM' (no permission to capture: needs
 *     root or CAP_NET_RAW), 'NODEV' (no such device), 'FILTER' (the filter
 *     does not compile), 'OPEN' (anything else), 'RANGE' (a RangeError: an
 *     argument out of range); a TypeError for arguments of the wrong type.
 *   resume(handle) / pause(handle)         start / stop reading (stream backpressure)
 *   drain(handle) -> Buffer | null         read what is ready now, synchronously
 *   stats(handle) -> [received, dropped, ifdropped] | null
 *   close(handle)                          idempotent
 *
 * onBatch(records: Buffer) gets pcap records (16-byte little-endian header:
 * seconds, nanoseconds, caplen, wire length; then the bytes), never a file
 * header. onError(message, exception?) is called once when reading fails (the
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "native.h"

#define RECORD_HEADER_LEN 16
/* A wake-up hands over at most about this much; the rest waits for the next loop turn, so other
 * channels and timers get their share and the JavaScript batch stays cache-sized. Every batch in
 * the stream queues keeps its Packet objects alive: 1 MiB (~13 800 small frames) let a live --dump
 * peak at 193 MB RSS, 256 KiB at 135 MB, at the same CPU per packet (test/bench/README.md). */
#define BATCH_BYTES (1u << 18)

/* libpcap's MAXIMUM_SNAPLEN; 0 asks for it too. */
#define SNAPLEN_MAX 262144
/* Longer than any device name libpcap opens (interface names have at most 15 bytes); a longer one
 * is refused rather than cut short. */
#define DEVICE_MAX 255

typedef struct capture {
  pcap_t *pcap;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_ref on_error;
  napi_async_context async;
  /* Holds the environment's teardown until the poll handle is closed (on_poll_closed). */
  napi_async_cleanup_hook_handle teardown;
  uint8_t *out;
  size_t out_len;
  size_t used;
  int nanos;
  int polling;
  int poll_initialised;
  int closed;
  int poll_closed;
  int released;
  /* Frames that did not fit in memory (allocation failure): reported as drops by stats(). */
  uint32_t lost;
} capture_t;

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Two owners let go of the struct: the JavaScript handle (finalizer) and libuv (close callback). */
static void maybe_free(capture_t *c) {
  if (c->released && c->poll_closed) {
    free(c->out);
    free(c);
  }
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture_t *c = (capture_t *)user;
  size_t need = c->used + RECORD_HEADER_LEN + h->caplen;
  if (need > c->out_len) {
    size_t len = c->out_len * 2 > need ? c->out_len * 2 : need;
    uint8_t *bigger = realloc(c->out, len);
    if (bigger == NULL) {
      c->lost++;
      return;
    }
    c->out = bigger;
    c->out_len = len;
  }
  uint8_t *p = c->out + c->used;
  put_le32(p, (uint32_t)h->ts.tv_sec);
  put_le32(p + 4, (uint32_t)(c->nanos ? h->ts.tv_usec : h->ts.tv_usec * 1000));
  put_le32(p + 8, h->caplen);
  put_le32(p + 12, h->len);
  memcpy(p + RECORD_HEADER_LEN, bytes, h->caplen);
  c->used = need;
  if (c->used >= BATCH_BYTES) pcap_breakloop(c->pcap);
}

/* Reads every ready block (up to BATCH_BYTES) into c->out. Returns 0, or -1 when reading failed. */
static int gather(capture_t *c) {
  c->used = 0;
  int n = pcap_dispatch(c->pcap, -1, on_frame, (u_char *)c);
  return n == PCAP_ERROR ? -1 : 0;
}

static napi_value batch_buffer(capture_t *c) {
  napi_value buf;
  void *data;
  if (napi_create_buffer_copy(c->env, c->used, c->out, &data, &buf) != napi_ok) return NULL;
  return buf;
}

static void stop_polling(capture_t *c) {
  if (c->polling) {
    uv_poll_stop(&c->poll);
    c->polling = 0;
  }
}

static void on_poll_closed(uv_handle_t *handle) {
  capture_t *c = handle->data;
  pcap_close(c->pcap);
  c->pcap = NULL;
  c->poll_closed = 1;
  if (c->teardown != NULL) napi_remove_async_cleanup_hook(c->teardown);
  c->teardown = NULL;
  maybe_free(c);
}

/* close(), the finalizer and the environment's teardown all end here; the first one closes. */
static void close_capture(capture_t *c) {
  if (c->closed) return;
  c->closed = 1;
  stop_polling(c);
  napi_env env = c->env;
  if (c->on_batch != NULL) napi_delete_reference(env, c->on_batch);
  if (c->on_error != NULL) napi_delete_reference(env, c->on_error);
  if (c->async != NULL) napi_async_destroy(env, c->async);
  c->on_batch = c->on_error = NULL;
  c->async = NULL;
  /* libpcap owns the socket: close it only once libuv has let go of it. */
  if (c->poll_initialised) uv_close((uv_handle_t *)&c->poll, on_poll_closed);
  else on_poll_closed((uv_handle_t *)&c->poll);
}

static void on_teardown(napi_async_cleanup_hook_handle hook, void *data) {
  (void)hook;
  close_capture(data);
}

/*
 * Calls a JavaScript callback the way Node's own I/O does, so that process.nextTick and promise
 * jobs run after it. Returns the exception it threw, cleared, or NULL.
 *
 * Why catch it here: an exception escaping a native callback is fatal for the whole process, and
 * the caller's callbacks run code (decoding) whose bug should cost one capture, not every channel.
 * An exception from onBatch therefore ends the capture like a read error and reaches onError
 * (on_readable). One from onError has nowhere else to go: it is rethrown as fatal, as Node does
 * with an exception thrown by an 'error' listener.
 */
static napi_value call_back(capture_t *c, napi_ref ref, size_t argc, const napi_value *argv) {
  napi_env env = c->env;
  napi_value fn, recv, exception;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return NULL;
  /* napi_make_callback converts the receiver to an object: undefined would throw. */
  napi_get_global(env, &recv);
  if (napi_make_callback(env, c->async, recv, fn, argc, argv, NULL) == napi_pending_exception &&
      napi_get_and_clear_last_exception(env, &exception) == napi_ok)
    return exception;
  return NULL;
}

/* "onBatch threw Error: boom": String(exception), unless that throws too. */
static void describe_exception(napi_env env, napi_value exception, char *message, size_t size) {
  napi_value text, ignored;
  size_t len;
  int n = snprintf(message, size, "onBatch threw ");
  if (napi_coerce_to_string(env, exception, &text) != napi_ok ||
      napi_get_value_string_utf8(env, text, message + n, size - (size_t)n, &len) != napi_ok) {
    napi_get_and_clear_last_exception(env, &ignored);
    snprintf(message + n, size - (size_t)n, "an exception");
  }
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  capture_t *c = handle->data;
  if (c->closed) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char message[PCAP_ERRBUF_SIZE + 256];
  int failed = 0;
  napi_value thrown = NULL;
  if (status < 0) {
    snprintf(message, sizeof message, "%s", uv_strerror(status));
    failed = 1;
  } else if (gather(c) < 0) {
    snprintf(message, sizeof message, "%s", pcap_geterr(c->pcap));
    failed = 1;
  }
  if (c->used > 0) {
    napi_value buf = batch_buffer(c);
    c->used = 0;
    if (buf != NULL && (thrown = call_back(c, c->on_batch, 1, &buf)) != NULL && !failed) {
      describe_exception(env, thrown, message, sizeof message);
      failed = 1;
    }
  }
  if (thrown != NULL && c->closed) {
    /* onBatch closed the handle, then threw: onError is released, the exception has no other place. */
    napi_fatal_exception(env, thrown);
  } else if (failed && !c->closed) {
    stop_polling(c);
    napi_value args[2];
    if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &args[0]) == napi_ok) {
      if (thrown != NULL) args[1] = thrown;
      else napi_get_undefined(env, &args[1]);
      napi_value again = call_back(c, c->on_error, 2, args);
      if (again != NULL) napi_fatal_exception(env, again);
    }
  }
  napi_close_handle_scope(env, scope);
}

static capture_t *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "a capture handle is required");
    return NULL;
  }
  capture_t *c;
  if (napi_get_value_external(env, arg, (void **)&c) != napi_ok) {
    napi_throw_type_error(env, NULL, "not a capture handle");
    return NULL;
  }
  return c;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  capture_t *c = data;
  close_capture(c);
  c->released = 1;
  maybe_free(c);
}

/* libpcap's reason, or the status's own words when it gave none. */
static void activate_error(pcap_t *p, int rc, char *message, size_t size) {
  const char *detail = pcap_geterr(p);
  if (detail == NULL || detail[0] == '\0') detail = pcap_statustostr(rc);
  if (rc == PCAP_ERROR_PERM_DENIED)
    snprintf(message, size, "you don't have permission to capture on that device (needs root or CAP_NET_RAW): %s", detail);
  else
    snprintf(message, size, "%s", detail);
}

/* Configures and activates the pcap handle. Returns NULL, or the error code with `message` filled. */
static const char *start_pcap(pcap_t *p, const char *filter, int snaplen, int buffer_bytes, int timeout_ms, bool promisc,
                              char *message, size_t size) {
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_buffer_size(p, buffer_bytes);
  /* A timeout of 0 asks for each frame at once (TPACKET_V2, a wake-up per frame); otherwise the
   * kernel hands over a block when it is full or timeout_ms after its first frame. */
  if (timeout_ms == 0) pcap_set_immediate_mode(p, 1);
  else pcap_set_timeout(p, timeout_ms);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(p);
  if (rc < 0) {
    activate_error(p, rc, message, size);
    return rc == PCAP_ERROR_PERM_DENIED ? "PERM" : rc == PCAP_ERROR_NO_SUCH_DEVICE ? "NODEV" : "OPEN";
  }
  if (filter[0] != '\0') {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
      snprintf(message, size, "%s", pcap_geterr(p));
      return "FILTER";
    }
    rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
      snprintf(message, size, "%s", pcap_geterr(p));
      return "OPEN";
    }
  }
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  if (pcap_setnonblock(p, 1, errbuf) < 0) {
    snprintf(message, size, "%s", errbuf);
    return "OPEN";
  }
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) {
    snprintf(message, size, "the device has no selectable file descriptor");
    return "OPEN";
  }
  /* libpcap opens its socket without SOCK_CLOEXEC: every child process would inherit the capture
   * socket and keep it (and its ring) alive after we close it. */
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
    snprintf(message, size, "cannot set close-on-exec on the capture socket: %s", strerror(errno));
    return "OPEN";
  }
  return NULL;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (get_args(env, info, argv, 9, 8, "open(device, filter, snaplen, bufferBytes, timeoutMs, promisc, onBatch, onError[, netns])") < 0) return NULL;
  /* Every argument is checked before anything is acquired. */
  int64_t snaplen, buffer_bytes, timeout_ms;
  bool promisc;
  if (get_integer(env, argv[2], "snaplen", 0, SNAPLEN_MAX, &snaplen) < 0 ||
      get_integer(env, argv[3], "bufferBytes", 1, INT32_MAX, &buffer_bytes) < 0 ||
      get_integer(env, argv[4], "timeoutMs", 0, INT32_MAX, &timeout_ms) < 0 || check_function(env, argv[6], "onBatch") < 0 ||
      check_function(env, argv[7], "onError") < 0)
    return NULL;
  if (napi_get_value_bool(env, argv[5], &promisc) != napi_ok) {
    napi_throw_type_error(env, NULL, "promisc must be a boolean");
    return NULL;
  }
  char *device = get_string(env, argv[0], "device", DEVICE_MAX);
  if (device == NULL) return NULL;
  char *filter = get_string(env, argv[1], "filter", SIZE_MAX - 1);
  if (filter == NULL) {
    free(device);
    return NULL;
  }
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
  const char *code = p == NULL ? "OPEN" : start_pcap(p, filter, (int)snaplen, (int)buffer_bytes, (int)timeout_ms, promisc, message, sizeof message);
  netns_leave(saved);
  free(filter);
  if (p == NULL) {
    throw_coded(env, code, message);
    return NULL;
  }
  capture_t *c = NULL;
  if (code == NULL && ((c = calloc(1, sizeof *c)) == NULL || (c->out = malloc(2 * BATCH_BYTES)) == NULL)) {
    code = "OPEN";
    snprintf(message, sizeof message, "out of memory");
  }
  napi_value handle;
  if (code == NULL && napi_create_external(env, c, finalize_handle, NULL, &handle) != napi_ok) {
    code = "OPEN";
    snprintf(message, sizeof message, "cannot create the capture handle");
  }
  if (code != NULL) {
    if (c != NULL) free(c->out);
    free(c);
    pcap_close(p);
    throw_coded(env, code, message);
    return NULL;
  }

  /* From here the handle owns c: a failure closes it (close_capture) and its finalizer frees it. */
  c->pcap = p;
  c->env = env;
  c->nanos = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  c->out_len = 2 * BATCH_BYTES;
  c->poll.data = c;
  napi_value resource, name, result, value;
  struct uv_loop_s *loop;
  if (napi_create_reference(env, argv[6], 1, &c->on_batch) != napi_ok || napi_create_reference(env, argv[7], 1, &c->on_error) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok || napi_create_string_utf8(env, "PcapCapture", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &c->async) != napi_ok || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_add_async_cleanup_hook(env, on_teardown, c, &c->teardown) != napi_ok)
    goto fail;
  if (uv_poll_init(loop, &c->poll, pcap_get_selectable_fd(p)) != 0) goto fail;
  c->poll_initialised = 1;
  if (napi_create_object(env, &result) != napi_ok || napi_set_named_property(env, result, "handle", handle) != napi_ok ||
      napi_create_int32(env, pcap_datalink(p), &value) != napi_ok || napi_set_named_property(env, result, "linktype", value) != napi_ok ||
      napi_get_boolean(env, c->nanos, &value) != napi_ok || napi_set_named_property(env, result, "nanos", value) != napi_ok)
    goto fail;
  return result;

fail:
  close_capture(c);
  throw_coded(env, "OPEN", "cannot set up the capture handle");
  return NULL;
}

static napi_value Resume(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info);
  if (c == NULL) return NULL;
  if (!c->closed && !c->polling) {
    int rc = uv_poll_start(&c->poll, UV_READABLE, on_readable);
    if (rc != 0) {
      napi_throw_error(env, NULL, uv_strerror(rc));
      return NULL;
    }
    c->polling = 1;
  }
  return NULL;
}

static napi_value Pause(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info);
  if (c == NULL) return NULL;
  stop_polling(c);
  return NULL;
}

static napi_value Drain(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info);
  if (c == NULL || c->closed) return NULL;
  gather(c);
  napi_value buf = NULL;
  if (c->used > 0) buf = batch_buffer(c);
  c->used = 0;
  return buf;
}

static napi_value Stats(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info);
  if (c == NULL || c->closed) return NULL;
  struct pcap_stat st;
  if (pcap_stats(c->pcap, &st) < 0) return NULL;
  napi_value result, v;
  if (napi_create_array_with_length(env, 3, &result) != napi_ok || napi_create_uint32(env, st.ps_recv, &v) != napi_ok ||
      napi_set_element(env, result, 0, v) != napi_ok || napi_create_uint32(env, st.ps_drop + c->lost, &v) != napi_ok ||
      napi_set_element(env, result, 1, v) != napi_ok || napi_create_uint32(env, st.ps_ifdrop, &v) != napi_ok ||
      napi_set_element(env, result, 2, v) != napi_ok)
    return NULL;
  return result;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info);
  if (c != NULL) close_capture(c);
  return NULL;
}

napi_status register_pcap_capture(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"resume", NULL, Resume, NULL, NULL, NULL, napi_default, NULL},
      {"pause", NULL, Pause, NULL, NULL, NULL, napi_default, NULL},
      {"drain", NULL, Drain, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, Stats, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
