/* Live capture's platform-independent part: see capture_batch.h, and pcap_capture.c for the interface. */
#define NAPI_VERSION 8
#ifdef _WIN32
#include "native_win.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_batch.h"

/* One 32-bit store (byte by byte, GCC's -O3 shifted and merged each field on its own: a third of on_frame, perf). */
static inline void put_le32(uint8_t *p, uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  memcpy(p, &v, sizeof v);
}

int capture_get_options(napi_env env, const napi_value *argv, capture_options_t *o) {
  if (get_integer(env, argv[2], "snaplen", 0, SNAPLEN_MAX, &o->snaplen) < 0 ||
      get_integer(env, argv[3], "bufferBytes", 1, INT32_MAX, &o->buffer_bytes) < 0 ||
      get_integer(env, argv[4], "timeoutMs", 0, INT32_MAX, &o->timeout_ms) < 0 || check_function(env, argv[6], "onBatch") < 0 ||
      check_function(env, argv[7], "onError") < 0)
    return -1;
  if (napi_get_value_bool(env, argv[5], &o->promisc) != napi_ok) {
    napi_throw_type_error(env, NULL, "promisc must be a boolean");
    return -1;
  }
  return 0;
}

int capture_get_strings(napi_env env, const napi_value *argv, char **device, char **filter) {
  *device = get_string(env, argv[0], "device", DEVICE_MAX);
  if (*device == NULL) return -1;
  *filter = get_string(env, argv[1], "filter", SIZE_MAX - 1);
  if (*filter == NULL) {
    free(*device);
    *device = NULL;
    return -1;
  }
  return 0;
}

/* libpcap's reason, or the status's own words when it gave none. */
static void activate_error(pcap_t *p, int rc, const char *perm_hint, char *message, size_t size) {
  const char *detail = pcap_geterr(p);
  if (detail == NULL || detail[0] == '\0') detail = pcap_statustostr(rc);
  if (rc == PCAP_ERROR_PERM_DENIED)
    snprintf(message, size, "you don't have permission to capture on that device (%s): %s", perm_hint, detail);
  else
    snprintf(message, size, "%s", detail);
}

const char *capture_configure(pcap_t *p, const char *filter, const capture_options_t *o, const char *perm_hint, char *message, size_t size) {
  pcap_set_snaplen(p, (int)o->snaplen);
  pcap_set_promisc(p, o->promisc ? 1 : 0);
  pcap_set_buffer_size(p, (int)o->buffer_bytes);
  /* A timeout of 0 asks for each frame at once (Linux: TPACKET_V2, a wake-up per frame; Npcap: a
   * mintocopy of 0, the event fires for each frame); otherwise the kernel hands over a block when it
   * is full or timeout_ms after its first frame. */
  if (o->timeout_ms == 0) pcap_set_immediate_mode(p, 1);
  else pcap_set_timeout(p, (int)o->timeout_ms);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(p);
  if (rc < 0) {
    activate_error(p, rc, perm_hint, message, size);
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
  return NULL;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  capture_core_t *c = data;
  c->ops->close(c);
  c->released = 1;
  capture_maybe_free(c);
}

capture_core_t *capture_new(napi_env env, pcap_t *p, const char *code, char *message, size_t message_size, size_t size,
                            const capture_ops_t *ops, napi_value *handle) {
  if (p == NULL) {
    throw_coded(env, code, message);
    return NULL;
  }
  capture_core_t *c = NULL;
  if (code == NULL && (c = calloc(1, size)) == NULL) {
    code = "OPEN";
    snprintf(message, message_size, "out of memory");
  }
  if (code == NULL && napi_create_external(env, c, finalize_handle, NULL, handle) != napi_ok) {
    code = "OPEN";
    snprintf(message, message_size, "cannot create the capture handle");
  }
  if (code != NULL) {
    free(c);
    pcap_close(p);
    throw_coded(env, code, message);
    return NULL;
  }
  c->pcap = p;
  c->env = env;
  c->ops = ops;
  c->nanos = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  return c;
}

int capture_init_callbacks(capture_core_t *c, const napi_value *argv, napi_value *name) {
  napi_env env = c->env;
  napi_value resource;
  if (napi_create_reference(env, argv[6], 1, &c->on_batch) != napi_ok || napi_create_reference(env, argv[7], 1, &c->on_error) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok || napi_create_string_utf8(env, "PcapCapture", NAPI_AUTO_LENGTH, name) != napi_ok ||
      napi_async_init(env, resource, *name, &c->async) != napi_ok)
    return -1;
  return 0;
}

static napi_value open_result(capture_core_t *c, napi_value handle) {
  napi_env env = c->env;
  napi_value result, value;
  if (napi_create_object(env, &result) != napi_ok || napi_set_named_property(env, result, "handle", handle) != napi_ok ||
      napi_create_int32(env, pcap_datalink(c->pcap), &value) != napi_ok || napi_set_named_property(env, result, "linktype", value) != napi_ok ||
      napi_get_boolean(env, c->nanos, &value) != napi_ok || napi_set_named_property(env, result, "nanos", value) != napi_ok)
    return NULL;
  return result;
}

napi_value capture_finish_open(capture_core_t *c, napi_value handle, int set_up) {
  napi_value result = set_up ? open_result(c, handle) : NULL;
  if (result != NULL) return result;
  c->ops->close(c);
  throw_coded(c->env, "OPEN", "cannot set up the capture handle");
  return NULL;
}

void capture_release_callbacks(capture_core_t *c) {
  napi_env env = c->env;
  while (c->spare_count > 0) napi_delete_reference(env, c->spares[--c->spare_count]);
  if (c->on_batch != NULL) napi_delete_reference(env, c->on_batch);
  if (c->on_error != NULL) napi_delete_reference(env, c->on_error);
  if (c->async != NULL) napi_async_destroy(env, c->async);
  c->on_batch = c->on_error = NULL;
  c->async = NULL;
}

void capture_maybe_free(capture_core_t *c) {
  if (c->released && c->source_released) free(c);
}

/* The batch as columns (capture_batch.h); `b` is 8-byte aligned (batch_buffer, Provide). */
#define COLUMN(b, at, type) ((type *)(void *)((b) + (at)))

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture_core_t *c = (capture_core_t *)user;
  uint8_t *b = c->batch;
  uint32_t i = c->count;
  uint32_t caplen = h->caplen;
  if (i >= BATCH_PACKETS_MAX || RECORD_HEADER_LEN + (size_t)caplen > FRAMES_BYTES - c->used) {
    /* Never: the read stops at the limits, and libpcap cuts frames to SNAPLEN_MAX. A drop, not an overflow. */
    c->lost++;
    c->full = 1;
    pcap_breakloop(c->pcap);
    return;
  }
  uint64_t sec = (uint64_t)h->ts.tv_sec;
  uint32_t nsec = c->nanos ? (uint32_t)h->ts.tv_usec : (uint32_t)h->ts.tv_usec * 1000u;
  if (nsec >= 1000000000u) {
    sec += nsec / 1000000000u;
    nsec %= 1000000000u;
  }
  /* libpcap hands over a wire length below the captured one as the kernel gave it; the wire carried
   * at least the captured bytes, and no sink or receiver should see an impossible frame. */
  uint32_t wirelen = h->len < caplen ? caplen : h->len;
  uint8_t *record = b + c->used;
  put_le32(record, (uint32_t)sec);
  put_le32(record + 4, nsec);
  put_le32(record + 8, caplen);
  put_le32(record + 12, wirelen);
  memcpy(record + RECORD_HEADER_LEN, bytes, caplen);
  COLUMN(b, TS_SEC_AT, double)[i] = (double)sec;
  COLUMN(b, OFFSET_AT, uint32_t)[i] = (uint32_t)(c->used + RECORD_HEADER_LEN);
  COLUMN(b, CAPLEN_AT, uint32_t)[i] = caplen;
  COLUMN(b, WIRELEN_AT, uint32_t)[i] = wirelen;
  COLUMN(b, TS_NSEC_AT, uint32_t)[i] = nsec;
  c->used += RECORD_HEADER_LEN + caplen;
  c->count = i + 1;
  if (c->used >= BATCH_BYTES || c->count == BATCH_PACKETS_MAX) {
    c->full = 1;
    pcap_breakloop(c->pcap);
  }
}

/* Reads every ready frame, up to the limits, into `batch` (BATCH_BUFFER_BYTES, 8-byte aligned) and
 * writes its count there. Returns 0, or -1 when reading failed (the frames read before are kept). */
static int gather(capture_core_t *c, uint8_t *batch) {
  c->batch = batch;
  c->used = 0;
  c->count = 0;
  c->full = 0;
  int n = pcap_dispatch(c->pcap, -1, on_frame, (u_char *)c);
  *COLUMN(batch, COUNT_AT, uint32_t) = c->count;
  c->batch = NULL;
  if (c->ops->after_gather != NULL) c->ops->after_gather(c);
  return n == PCAP_ERROR ? -1 : 0;
}

/* A buffer to read the next batch into, its data in *data: one given back (provide) if there is one,
 * else a new one; NULL when none can be made. */
static napi_value batch_buffer(capture_core_t *c, uint8_t **data) {
  napi_env env = c->env;
  napi_value buf = NULL;
  void *bytes = NULL;
  while (c->spare_count > 0) {
    napi_ref ref = c->spares[--c->spare_count];
    int ok = napi_get_reference_value(env, ref, &buf) == napi_ok && buf != NULL && napi_get_buffer_info(env, buf, &bytes, NULL) == napi_ok;
    napi_delete_reference(env, ref);
    if (ok) {
      *data = bytes;
      return buf;
    }
  }
  /* Node allocates a Buffer's memory with malloc: aligned for a double. */
  if (napi_create_buffer(env, BATCH_BUFFER_BYTES, &bytes, &buf) != napi_ok || ((uintptr_t)bytes & 7) != 0) return NULL;
  *data = bytes;
  return buf;
}

/* Keeps a batch buffer for the next reads, unless SPARE_MAX are kept already. */
static void keep_spare(capture_core_t *c, napi_value buf) {
  if (c->spare_count < SPARE_MAX && napi_create_reference(c->env, buf, 1, &c->spares[c->spare_count]) == napi_ok) c->spare_count++;
}

/*
 * Calls a JavaScript callback the way Node's own I/O does, so that process.nextTick and promise
 * jobs run after it. Returns the exception it threw, cleared, or NULL.
 *
 * Why catch it here: an exception escaping a native callback is fatal for the whole process, and
 * the caller's callbacks run code (decoding) whose bug should cost one capture, not every channel.
 * An exception from onBatch therefore ends the capture like a read error and reaches onError
 * (capture_deliver). One from onError has nowhere else to go: it is rethrown as fatal, as Node does
 * with an exception thrown by an 'error' listener.
 */
static napi_value call_back(capture_core_t *c, napi_ref ref, size_t argc, const napi_value *argv) {
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

void capture_deliver(capture_core_t *c, const char *wake_error) {
  if (c->closed) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char message[PCAP_ERRBUF_SIZE + 256];
  int failed = 0;
  napi_value thrown = NULL;
  napi_value batch = NULL;
  uint8_t *data = NULL;
  if (wake_error != NULL) {
    snprintf(message, sizeof message, "%s", wake_error);
    failed = 1;
  } else if ((batch = batch_buffer(c, &data)) == NULL) {
    /* The frames stay in the ring (or are dropped there, counted by the kernel). */
    snprintf(message, sizeof message, "no memory for a batch buffer");
    failed = 1;
  } else if (gather(c, data) < 0) {
    snprintf(message, sizeof message, "%s", pcap_geterr(c->pcap));
    failed = 1;
  }
  if (batch != NULL && c->count == 0) {
    keep_spare(c, batch);
  } else if (batch != NULL && (thrown = call_back(c, c->on_batch, 1, &batch)) != NULL && !failed) {
    describe_exception(env, thrown, message, sizeof message);
    failed = 1;
  }
  if (thrown != NULL && c->closed) {
    /* onBatch closed the handle, then threw: onError is released, the exception has no other place. */
    napi_fatal_exception(env, thrown);
  } else if (failed && !c->closed) {
    c->ops->stop(c);
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

static capture_core_t *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "a capture handle is required");
    return NULL;
  }
  capture_core_t *c;
  if (napi_get_value_external(env, arg, (void **)&c) != napi_ok) {
    napi_throw_type_error(env, NULL, "not a capture handle");
    return NULL;
  }
  return c;
}

static napi_value Drain(napi_env env, napi_callback_info info) {
  capture_core_t *c = handle_arg(env, info);
  if (c == NULL || c->closed) return NULL;
  uint8_t *data = NULL;
  napi_value batch = batch_buffer(c, &data);
  if (batch == NULL) return NULL;
  gather(c, data);
  if (c->count > 0) return batch;
  keep_spare(c, batch);
  return NULL;
}

/* provide(handle, buffer): a batch buffer every consumer is done with, kept for the next batches. Only
 * one of BATCH_BUFFER_BYTES whose memory is aligned for the columns is taken; beyond SPARE_MAX, or
 * after close, it is left to the garbage collector. */
static napi_value Provide(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "a capture handle and a buffer are required");
    return NULL;
  }
  capture_core_t *c;
  if (napi_get_value_external(env, argv[0], (void **)&c) != napi_ok) {
    napi_throw_type_error(env, NULL, "not a capture handle");
    return NULL;
  }
  bool is_buffer = false;
  size_t len = 0;
  void *data = NULL;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "buffer must be a Buffer");
    return NULL;
  }
  if (c->closed || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len != BATCH_BUFFER_BYTES || ((uintptr_t)data & 7) != 0) return NULL;
  keep_spare(c, argv[1]);
  return NULL;
}

static napi_value Stats(napi_env env, napi_callback_info info) {
  capture_core_t *c = handle_arg(env, info);
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

static napi_value Resume(napi_env env, napi_callback_info info) {
  capture_core_t *c = handle_arg(env, info);
  if (c == NULL || c->closed) return NULL;
  const char *failed = c->ops->start(c);
  if (failed != NULL) napi_throw_error(env, NULL, failed);
  return NULL;
}

static napi_value Pause(napi_env env, napi_callback_info info) {
  capture_core_t *c = handle_arg(env, info);
  if (c != NULL && !c->closed) c->ops->stop(c);
  return NULL;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  capture_core_t *c = handle_arg(env, info);
  if (c != NULL) c->ops->close(c);
  return NULL;
}

/* captureBatch: where JavaScript finds the parts of a batch buffer (capture_batch.h). */
static napi_value batch_layout(napi_env env) {
  static const struct {
    const char *name;
    uint32_t value;
  } fields[] = {{"bytes", BATCH_BUFFER_BYTES}, {"packetsMax", BATCH_PACKETS_MAX}, {"countAt", COUNT_AT},     {"tsSecAt", TS_SEC_AT},
                {"offsetAt", OFFSET_AT},       {"caplenAt", CAPLEN_AT},           {"wirelenAt", WIRELEN_AT}, {"tsNsecAt", TS_NSEC_AT}};
  napi_value layout, value;
  if (napi_create_object(env, &layout) != napi_ok) return NULL;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (napi_create_uint32(env, fields[i].value, &value) != napi_ok || napi_set_named_property(env, layout, fields[i].name, value) != napi_ok) return NULL;
  if (napi_object_freeze(env, layout) != napi_ok) return NULL;
  return layout;
}

napi_status capture_register(napi_env env, napi_value exports, napi_callback open, napi_callback adapters) {
  napi_value layout = batch_layout(env);
  if (layout == NULL) return napi_generic_failure;
  napi_property_descriptor props[] = {
      {"captureBatch", NULL, NULL, NULL, NULL, layout, napi_enumerable, NULL},
      {"open", NULL, open, NULL, NULL, NULL, napi_default, NULL},
      {"resume", NULL, Resume, NULL, NULL, NULL, napi_default, NULL},
      {"pause", NULL, Pause, NULL, NULL, NULL, napi_default, NULL},
      {"drain", NULL, Drain, NULL, NULL, NULL, napi_default, NULL},
      {"provide", NULL, Provide, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, Stats, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
      {"adapters", NULL, adapters, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0] - (adapters == NULL), props);
}
