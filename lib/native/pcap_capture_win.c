/*
 * Windows: live capture through Npcap (wpcap.dll), behind the same functions
 * as pcap_capture.c: open / resume / pause / drain / stats / close, with the
 * same records, batches, errors and ownership rules (see there), plus
 * adapters() (adapters_win.c).
 *
 * What differs is how a wake-up reaches the event loop. Npcap's handle has no
 * file descriptor libuv could poll; it has an event (pcap_getevent) that the
 * driver signals when at least "mintocopy" bytes are waiting. One watcher
 * thread per capture waits for that event, or for the read timeout (frames
 * below mintocopy on a quiet link), and wakes the JavaScript thread through a
 * thread-safe function; the JavaScript thread reads with pcap_dispatch in
 * non-blocking mode, exactly as on_readable does on Linux, then lets the
 * watcher wait again. The watcher never touches the pcap handle: every pcap
 * call stays on the JavaScript thread.
 *
 *   watcher:  wait(run) -> wait(packets | timeout) -> wake JS -> wait(gathered) -> ...
 *   JS:       wake -> pcap_dispatch (up to BATCH_BYTES) -> onBatch -> set(gathered)
 *
 * pause() resets `run` (the watcher stops after its current round, whose
 * wake-up then reads nothing) and unrefs the thread-safe function, so a
 * paused capture does not keep Node alive, as a stopped uv_poll does not.
 * close() sets `stop`, joins the watcher, then closes pcap.
 *
 * Linux-only: the `netns` argument (containers) throws 'UNSUPPORTED'.
 * bufferBytes becomes the driver's kernel buffer (pcap_set_buffer_size, which
 * Npcap applies with PacketSetBuff at activation: pcap_setbuff's effect).
 */
#define NAPI_VERSION 8
#include "native_win.h"
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_HEADER_LEN 16
#define BATCH_BYTES (1u << 18)
#define SNAPLEN_MAX 262144
/* \Device\NPF_{GUID} is 50 bytes. */
#define DEVICE_MAX 255

typedef struct capture {
  pcap_t *pcap;
  napi_env env;
  napi_ref on_batch;
  napi_ref on_error;
  napi_async_context async;
  napi_threadsafe_function wake;
  HANDLE watcher;
  HANDLE ready;    /* Npcap's: frames are waiting (not ours to close) */
  HANDLE stop;     /* manual reset: close() */
  HANDLE run;      /* manual reset: set between resume() and pause() */
  HANDLE gathered; /* auto reset: the JavaScript thread has read after a wake-up */
  DWORD wait_ms;   /* the read timeout; INFINITE in immediate mode */
  volatile LONG more; /* the last read stopped at BATCH_BYTES: wake again without waiting */
  uint8_t *out;
  size_t out_len;
  size_t used;
  int nanos;
  int reading;
  int closed;
  int hooked;
  int released;
  int wake_finalized;
  uint32_t lost;
} capture_t;

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Two owners let go of the struct: the JavaScript handle (finalizer) and the thread-safe function (its finalizer). */
static void maybe_free(capture_t *c) {
  if (c->released && c->wake_finalized) {
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

static int gather(capture_t *c) {
  c->used = 0;
  int n = pcap_dispatch(c->pcap, -1, on_frame, (u_char *)c);
  InterlockedExchange(&c->more, c->used >= BATCH_BYTES);
  return n == PCAP_ERROR ? -1 : 0;
}

static DWORD WINAPI watch(void *arg) {
  capture_t *c = arg;
  for (;;) {
    HANDLE runnable[2] = {c->stop, c->run};
    if (WaitForMultipleObjects(2, runnable, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) break;
    if (!InterlockedExchange(&c->more, 0)) {
      HANDLE readable[2] = {c->stop, c->ready};
      DWORD w = WaitForMultipleObjects(2, readable, FALSE, c->wait_ms);
      if (w != WAIT_OBJECT_0 + 1 && w != WAIT_TIMEOUT) break;
    }
    /* Frames are waiting, or the read timeout passed with perhaps fewer than mintocopy bytes. */
    if (napi_call_threadsafe_function(c->wake, NULL, napi_tsfn_nonblocking) != napi_ok) break;
    HANDLE done[2] = {c->stop, c->gathered};
    if (WaitForMultipleObjects(2, done, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) break;
  }
  return 0;
}

static void on_wake_finalized(napi_env env, void *data, void *hint) {
  capture_t *c = data;
  c->wake_finalized = 1;
  maybe_free(c);
}

static void on_teardown(void *data);

/* close(), the finalizer and the environment's teardown all end here; the first one closes. */
static void close_capture(capture_t *c) {
  if (c->closed) return;
  c->closed = 1;
  c->reading = 0;
  napi_env env = c->env;
  if (c->watcher != NULL) {
    SetEvent(c->stop);
    WaitForSingleObject(c->watcher, INFINITE);
    CloseHandle(c->watcher);
    c->watcher = NULL;
  }
  if (c->wake != NULL) napi_release_threadsafe_function(c->wake, napi_tsfn_abort);
  else c->wake_finalized = 1;
  c->wake = NULL;
  if (c->on_batch != NULL) napi_delete_reference(env, c->on_batch);
  if (c->on_error != NULL) napi_delete_reference(env, c->on_error);
  if (c->async != NULL) napi_async_destroy(env, c->async);
  c->on_batch = c->on_error = NULL;
  c->async = NULL;
  if (c->hooked) napi_remove_env_cleanup_hook(env, on_teardown, c);
  c->hooked = 0;
  if (c->pcap != NULL) pcap_close(c->pcap);
  c->pcap = NULL;
  HANDLE *events[] = {&c->stop, &c->run, &c->gathered};
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    if (*events[i] != NULL) CloseHandle(*events[i]);
    *events[i] = NULL;
  }
}

static void on_teardown(void *data) {
  capture_t *c = data;
  c->hooked = 0;
  close_capture(c);
}

/* As pcap_capture.c's call_back: an exception from onBatch ends this capture, not the process. */
static napi_value call_back(capture_t *c, napi_ref ref, size_t argc, const napi_value *argv) {
  napi_env env = c->env;
  napi_value fn, recv, exception;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return NULL;
  napi_get_global(env, &recv);
  if (napi_make_callback(env, c->async, recv, fn, argc, argv, NULL) == napi_pending_exception && napi_get_and_clear_last_exception(env, &exception) == napi_ok)
    return exception;
  return NULL;
}

static void describe_exception(napi_env env, napi_value exception, char *message, size_t size) {
  napi_value text, ignored;
  size_t len;
  int n = snprintf(message, size, "onBatch threw ");
  if (napi_coerce_to_string(env, exception, &text) != napi_ok || napi_get_value_string_utf8(env, text, message + n, size - (size_t)n, &len) != napi_ok) {
    napi_get_and_clear_last_exception(env, &ignored);
    snprintf(message + n, size - (size_t)n, "an exception");
  }
}

static void stop_reading(capture_t *c) {
  if (!c->reading) return;
  c->reading = 0;
  ResetEvent(c->run);
  napi_unref_threadsafe_function(c->env, c->wake);
}

/* The watcher's wake-up, on the JavaScript thread: pcap_capture.c's on_readable. */
static void on_wake(napi_env env, napi_value js_cb, void *context, void *data) {
  capture_t *c = context;
  if (env == NULL || c->closed) return;
  if (!c->reading) {
    SetEvent(c->gathered);
    return;
  }
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char message[PCAP_ERRBUF_SIZE + 256];
  int failed = 0;
  napi_value thrown = NULL;
  if (gather(c) < 0) {
    snprintf(message, sizeof message, "%s", pcap_geterr(c->pcap));
    failed = 1;
  }
  if (c->used > 0) {
    napi_value buf;
    void *copy;
    if (napi_create_buffer_copy(env, c->used, c->out, &copy, &buf) != napi_ok) buf = NULL;
    c->used = 0;
    if (buf != NULL && (thrown = call_back(c, c->on_batch, 1, &buf)) != NULL && !failed) {
      describe_exception(env, thrown, message, sizeof message);
      failed = 1;
    }
  }
  if (thrown != NULL && c->closed) {
    napi_fatal_exception(env, thrown);
  } else if (failed && !c->closed) {
    stop_reading(c);
    napi_value args[2];
    if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &args[0]) == napi_ok) {
      if (thrown != NULL) args[1] = thrown;
      else napi_get_undefined(env, &args[1]);
      napi_value again = call_back(c, c->on_error, 2, args);
      if (again != NULL) napi_fatal_exception(env, again);
    }
  }
  if (!c->closed) SetEvent(c->gathered);
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
  capture_t *c = data;
  close_capture(c);
  c->released = 1;
  maybe_free(c);
}

static const char *start_pcap(pcap_t *p, const char *filter, int snaplen, int buffer_bytes, int timeout_ms, bool promisc, char *message, size_t size) {
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_buffer_size(p, buffer_bytes);
  /* Immediate mode sets Npcap's mintocopy to 0: the event fires for each frame. */
  if (timeout_ms == 0) pcap_set_immediate_mode(p, 1);
  else pcap_set_timeout(p, timeout_ms);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(p);
  if (rc < 0) {
    const char *detail = pcap_geterr(p);
    if (detail == NULL || detail[0] == '\0') detail = pcap_statustostr(rc);
    if (rc == PCAP_ERROR_PERM_DENIED)
      snprintf(message, size, "you don't have permission to capture on that device (Npcap installed with \"Restrict Npcap driver's access to Administrators only\" needs an elevated process): %s", detail);
    else
      snprintf(message, size, "%s", detail);
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
  if (pcap_getevent(p) == NULL) {
    snprintf(message, size, "the device has no read event");
    return "OPEN";
  }
  return NULL;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (get_args(env, info, argv, 9, 8, "open(device, filter, snaplen, bufferBytes, timeoutMs, promisc, onBatch, onError[, netns])") < 0) return NULL;
  int64_t snaplen, buffer_bytes, timeout_ms;
  bool promisc;
  napi_valuetype netns_type;
  if (get_integer(env, argv[2], "snaplen", 0, SNAPLEN_MAX, &snaplen) < 0 || get_integer(env, argv[3], "bufferBytes", 1, INT32_MAX, &buffer_bytes) < 0 ||
      get_integer(env, argv[4], "timeoutMs", 0, INT32_MAX, &timeout_ms) < 0 || check_function(env, argv[6], "onBatch") < 0 ||
      check_function(env, argv[7], "onError") < 0 || napi_typeof(env, argv[8], &netns_type) != napi_ok)
    return NULL;
  if (napi_get_value_bool(env, argv[5], &promisc) != napi_ok) {
    napi_throw_type_error(env, NULL, "promisc must be a boolean");
    return NULL;
  }
  if (netns_type != napi_undefined && netns_type != napi_null) return throw_unsupported(env, "capturing in another network namespace (containers)");
  char *device = get_string(env, argv[0], "device", DEVICE_MAX);
  if (device == NULL) return NULL;
  char *filter = get_string(env, argv[1], "filter", SIZE_MAX - 1);
  if (filter == NULL) {
    free(device);
    return NULL;
  }
  char message[PCAP_ERRBUF_SIZE + 512] = "";
  pcap_t *p = pcap_create(device, message);
  free(device);
  const char *code = p == NULL ? "OPEN" : start_pcap(p, filter, (int)snaplen, (int)buffer_bytes, (int)timeout_ms, promisc, message, sizeof message);
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
  c->ready = pcap_getevent(p);
  c->wait_ms = timeout_ms == 0 ? INFINITE : (DWORD)timeout_ms;
  c->wake_finalized = 1; /* until the thread-safe function exists */
  napi_value resource, name, result, value;
  if ((c->stop = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL || (c->run = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
      (c->gathered = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL)
    goto fail;
  if (napi_create_reference(env, argv[6], 1, &c->on_batch) != napi_ok || napi_create_reference(env, argv[7], 1, &c->on_error) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok || napi_create_string_utf8(env, "PcapCapture", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &c->async) != napi_ok)
    goto fail;
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, c, on_wake_finalized, c, on_wake, &c->wake) != napi_ok) goto fail;
  c->wake_finalized = 0;
  /* Not reading yet: an idle capture does not keep Node alive. */
  if (napi_unref_threadsafe_function(env, c->wake) != napi_ok || napi_add_env_cleanup_hook(env, on_teardown, c) != napi_ok) goto fail;
  c->hooked = 1;
  if ((c->watcher = CreateThread(NULL, 0, watch, c, 0, NULL)) == NULL) goto fail;
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
  if (!c->closed && !c->reading) {
    if (napi_ref_threadsafe_function(env, c->wake) != napi_ok) {
      napi_throw_error(env, NULL, "cannot resume the capture");
      return NULL;
    }
    c->reading = 1;
    SetEvent(c->run);
  }
  return NULL;
}

static napi_value Pause(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info);
  if (c != NULL && !c->closed) stop_reading(c);
  return NULL;
}

static napi_value Drain(napi_env env, napi_callback_info info) {
  capture_t *c = handle_arg(env, info);
  if (c == NULL || c->closed) return NULL;
  gather(c);
  napi_value buf = NULL;
  void *copy;
  if (c->used > 0 && napi_create_buffer_copy(env, c->used, c->out, &copy, &buf) != napi_ok) buf = NULL;
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
      {"adapters", NULL, WinAdapters, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
