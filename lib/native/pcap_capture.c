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
 *     -> { handle, linktype, nanos }      throws Error with code 'FILTER' or 'OPEN'
 *   resume(handle) / pause(handle)         start / stop reading (stream backpressure)
 *   drain(handle) -> Buffer | null         read what is ready now, synchronously
 *   stats(handle) -> [received, dropped, ifdropped] | null
 *   close(handle)                          idempotent
 *
 * onBatch(records: Buffer) gets pcap records (16-byte little-endian header:
 * seconds, nanoseconds, caplen, wire length; then the bytes), never a file
 * header. onError(message) is called once when reading fails (the interface
 * went down or disappeared); reading has stopped then and the handle must be
 * closed.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>
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

typedef struct capture {
  pcap_t *pcap;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_ref on_error;
  napi_async_context async;
  uint8_t *out;
  size_t out_len;
  size_t used;
  int nanos;
  int polling;
  int closed;
  int poll_closed;
  int released;
  /* Frames that did not fit in memory (allocation failure): reported as drops by stats(). */
  uint32_t lost;
} capture_t;

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      const napi_extended_error_info *info_;                               \
      napi_get_last_error_info((env), &info_);                             \
      napi_throw_error((env), NULL, info_ && info_->error_message          \
                                         ? info_->error_message            \
                                         : "N-API call failed");           \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

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

/* Calls a JavaScript callback the way Node's own I/O does, so that process.nextTick and promise jobs run after it. */
static void call_back(capture_t *c, napi_ref ref, napi_value arg) {
  napi_env env = c->env;
  napi_value fn, recv, exception;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return;
  /* napi_make_callback converts the receiver to an object: undefined would throw. */
  napi_get_global(env, &recv);
  if (napi_make_callback(env, c->async, recv, fn, 1, &arg, NULL) == napi_pending_exception &&
      napi_get_and_clear_last_exception(env, &exception) == napi_ok)
    napi_fatal_exception(env, exception);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  capture_t *c = handle->data;
  if (c->closed) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char message[PCAP_ERRBUF_SIZE + 64];
  int failed = 0;
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
    if (buf != NULL) call_back(c, c->on_batch, buf);
  }
  if (failed && !c->closed) {
    stop_polling(c);
    napi_value text;
    if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) == napi_ok) call_back(c, c->on_error, text);
  }
  napi_close_handle_scope(env, scope);
}

static capture_t *handle_arg(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_value args[1];
  napi_value *a = argv ? argv : args;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "a capture handle is required");
    return NULL;
  }
  capture_t *c;
  if (napi_get_value_external(env, a[0], (void **)&c) != napi_ok) {
    napi_throw_type_error(env, NULL, "not a capture handle");
    return NULL;
  }
  return c;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  capture_t *c = data;
  c->released = 1;
  maybe_free(c);
}

static void throw_coded(napi_env env, const char *code, const char *message) {
  napi_value msg, codev, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codev);
  napi_create_error(env, codev, msg, &err);
  napi_throw(env, err);
}

/* Fails the open: message from libpcap, the handle closed. Returns NULL for the caller to return. */
static napi_value open_failed(napi_env env, pcap_t *p, const char *code, const char *what) {
  char message[PCAP_ERRBUF_SIZE + 128];
  snprintf(message, sizeof message, "%s", what);
  pcap_close(p);
  throw_coded(env, code, message);
  return NULL;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) {
    napi_throw_type_error(env, NULL, "open(device, filter, snaplen, bufferBytes, timeoutMs, promisc, onBatch, onError)");
    return NULL;
  }
  char device[256], *filter;
  size_t len;
  int32_t snaplen, buffer_bytes, timeout_ms;
  bool promisc;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], device, sizeof device, &len));
  CHECK(env, napi_get_value_string_utf8(env, argv[1], NULL, 0, &len));
  filter = malloc(len + 1);
  if (filter == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[1], filter, len + 1, &len);
  CHECK(env, napi_get_value_int32(env, argv[2], &snaplen));
  CHECK(env, napi_get_value_int32(env, argv[3], &buffer_bytes));
  CHECK(env, napi_get_value_int32(env, argv[4], &timeout_ms));
  CHECK(env, napi_get_value_bool(env, argv[5], &promisc));

  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(device, errbuf);
  if (p == NULL) {
    free(filter);
    throw_coded(env, "OPEN", errbuf);
    return NULL;
  }
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_buffer_size(p, buffer_bytes);
  /* A timeout of 0 asks for each frame at once (TPACKET_V2, a wake-up per frame); otherwise the
   * kernel hands over a block when it is full or timeout_ms after its first frame. */
  if (timeout_ms == 0) pcap_set_immediate_mode(p, 1);
  else pcap_set_timeout(p, timeout_ms);
  int nanos = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;

  int rc = pcap_activate(p);
  if (rc < 0) {
    char message[PCAP_ERRBUF_SIZE + 64];
    const char *detail = pcap_geterr(p);
    if (detail != NULL && detail[0] != '\0') snprintf(message, sizeof message, "%s", detail);
    else snprintf(message, sizeof message, "%s", pcap_statustostr(rc));
    free(filter);
    return open_failed(env, p, "OPEN", message);
  }
  if (filter[0] != '\0') {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
      free(filter);
      return open_failed(env, p, "FILTER", pcap_geterr(p));
    }
    rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
      free(filter);
      return open_failed(env, p, "OPEN", pcap_geterr(p));
    }
  }
  free(filter);
  if (pcap_setnonblock(p, 1, errbuf) < 0) return open_failed(env, p, "OPEN", errbuf);
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) return open_failed(env, p, "OPEN", "the device has no selectable file descriptor");

  capture_t *c = calloc(1, sizeof *c);
  if (c == NULL) return open_failed(env, p, "OPEN", "out of memory");
  c->pcap = p;
  c->env = env;
  c->nanos = nanos;
  c->out_len = 2 * BATCH_BYTES;
  c->out = malloc(c->out_len);
  struct uv_loop_s *loop;
  if (c->out == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &c->poll, fd) != 0) {
    free(c->out);
    free(c);
    return open_failed(env, p, "OPEN", "cannot watch the capture socket");
  }
  c->poll.data = c;

  napi_value handle, resource, name, result, value;
  CHECK(env, napi_create_reference(env, argv[6], 1, &c->on_batch));
  CHECK(env, napi_create_reference(env, argv[7], 1, &c->on_error));
  CHECK(env, napi_create_object(env, &resource));
  CHECK(env, napi_create_string_utf8(env, "PcapCapture", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_async_init(env, resource, name, &c->async));
  CHECK(env, napi_create_external(env, c, finalize_handle, NULL, &handle));
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_set_named_property(env, result, "handle", handle));
  CHECK(env, napi_create_int32(env, pcap_datalink(p), &value));
  CHECK(env, napi_set_named_property(env, result, "linktype", value));
  CHECK(env, napi_get_boolean(env, nanos, &value));
  CHECK(env, napi_set_named_property(env, result, "nanos", value));
  return result;
}

static napi_value Resume(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info, 1, NULL);
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
  capture_t *c = handle_arg(env, info, 1, NULL);
  if (c == NULL) return NULL;
  stop_polling(c);
  return NULL;
}

static napi_value Drain(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info, 1, NULL);
  if (c == NULL || c->closed) return NULL;
  gather(c);
  napi_value buf = NULL;
  if (c->used > 0) buf = batch_buffer(c);
  c->used = 0;
  return buf;
}

static napi_value Stats(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info, 1, NULL);
  if (c == NULL || c->closed) return NULL;
  struct pcap_stat st;
  if (pcap_stats(c->pcap, &st) < 0) return NULL;
  napi_value result, v;
  CHECK(env, napi_create_array_with_length(env, 3, &result));
  CHECK(env, napi_create_uint32(env, st.ps_recv, &v));
  CHECK(env, napi_set_element(env, result, 0, v));
  CHECK(env, napi_create_uint32(env, st.ps_drop + c->lost, &v));
  CHECK(env, napi_set_element(env, result, 1, v));
  CHECK(env, napi_create_uint32(env, st.ps_ifdrop, &v));
  CHECK(env, napi_set_element(env, result, 2, v));
  return result;
}

static void on_poll_closed(uv_handle_t *handle) {
  capture_t *c = handle->data;
  pcap_close(c->pcap);
  c->pcap = NULL;
  c->poll_closed = 1;
  maybe_free(c);
}

static napi_value Close(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info, 1, NULL);
  if (c == NULL || c->closed) return NULL;
  c->closed = 1;
  stop_polling(c);
  napi_delete_reference(env, c->on_batch);
  napi_delete_reference(env, c->on_error);
  napi_async_destroy(env, c->async);
  /* libpcap owns the socket: close it only once libuv has let go of it. */
  uv_close((uv_handle_t *)&c->poll, on_poll_closed);
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
