/* Live capture's platform-independent part: see capture_batch.h, and pcap_capture.c for the interface. */
#define NAPI_VERSION 8
#ifdef _WIN32
#include "native_win.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_batch.h"

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
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
  if (code == NULL && ((c = calloc(1, size)) == NULL || (c->out = malloc(2 * BATCH_BYTES)) == NULL)) {
    code = "OPEN";
    snprintf(message, message_size, "out of memory");
  }
  if (code == NULL && napi_create_external(env, c, finalize_handle, NULL, handle) != napi_ok) {
    code = "OPEN";
    snprintf(message, message_size, "cannot create the capture handle");
  }
  if (code != NULL) {
    if (c != NULL) free(c->out);
    free(c);
    pcap_close(p);
    throw_coded(env, code, message);
    return NULL;
  }
  c->pcap = p;
  c->env = env;
  c->ops = ops;
  c->nanos = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  c->out_len = 2 * BATCH_BYTES;
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
  if (c->released && c->source_released) {
    free(c->out);
    free(c);
  }
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture_core_t *c = (capture_core_t *)user;
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
static int gather(capture_core_t *c) {
  c->used = 0;
  int n = pcap_dispatch(c->pcap, -1, on_frame, (u_char *)c);
  if (c->ops->after_gather != NULL) c->ops->after_gather(c);
  return n == PCAP_ERROR ? -1 : 0;
}

/*
 * What was gathered as a Buffer (NULL when it cannot be made); the batch is empty again. `pooled`:
 * into a buffer given back if there is one, else a new one that can come back (SPARE_BYTES long once
 * JavaScript recycles), its first c->used bytes the records; otherwise exactly c->used bytes.
 */
static napi_value take_batch(capture_core_t *c, int pooled) {
  napi_env env = c->env;
  napi_value buf = NULL;
  void *data = NULL;
  if (pooled && c->spare_count > 0 && c->used <= SPARE_BYTES) {
    napi_ref ref = c->spares[--c->spare_count];
    if (napi_get_reference_value(env, ref, &buf) != napi_ok || buf == NULL || napi_get_buffer_info(env, buf, &data, NULL) != napi_ok) buf = NULL;
    napi_delete_reference(env, ref);
  }
  if (buf == NULL) {
    size_t size = pooled && c->recycling && c->used <= SPARE_BYTES ? SPARE_BYTES : c->used;
    if (napi_create_buffer(env, size, &data, &buf) != napi_ok) buf = NULL;
  }
  if (buf != NULL) memcpy(data, c->out, c->used);
  c->used = 0;
  return buf;
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
  if (wake_error != NULL) {
    snprintf(message, sizeof message, "%s", wake_error);
    failed = 1;
  } else if (gather(c) < 0) {
    snprintf(message, sizeof message, "%s", pcap_geterr(c->pcap));
    failed = 1;
  }
  if (c->used > 0) {
    napi_value args[2];
    if (napi_create_uint32(env, (uint32_t)c->used, &args[1]) != napi_ok) args[1] = NULL;
    args[0] = args[1] != NULL ? take_batch(c, 1) : NULL;
    c->used = 0;
    if (args[0] != NULL && (thrown = call_back(c, c->on_batch, 2, args)) != NULL && !failed) {
      describe_exception(env, thrown, message, sizeof message);
      failed = 1;
    }
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
  gather(c);
  napi_value buf = NULL;
  if (c->used > 0) buf = take_batch(c, 0);
  c->used = 0;
  return buf;
}

/* provide(handle, buffer): a batch buffer every consumer is done with, kept for the next batches. Only
 * one of SPARE_BYTES is taken (any other could not hold every batch); beyond SPARE_MAX, or after close,
 * it is left to the garbage collector. Any buffer given back turns recycling on: the first ones come
 * back exactly as long as their records, and only the new ones made after that can be taken. */
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
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "buffer must be a Buffer");
    return NULL;
  }
  if (c->closed) return NULL;
  c->recycling = 1;
  if (c->spare_count >= SPARE_MAX || napi_get_buffer_info(env, argv[1], NULL, &len) != napi_ok || len != SPARE_BYTES) return NULL;
  if (napi_create_reference(env, argv[1], 1, &c->spares[c->spare_count]) == napi_ok) c->spare_count++;
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

napi_status capture_register(napi_env env, napi_value exports, napi_callback open, napi_callback adapters) {
  napi_property_descriptor props[] = {
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
