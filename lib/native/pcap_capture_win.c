/*
 * Windows: live capture through Npcap (wpcap.dll), behind the same functions
 * as pcap_capture.c: open / resume / pause / drain / stats / close, with the
 * same batch buffers, errors and ownership rules (see there), plus
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
 *   JS:       wake -> pcap_dispatch (up to the batch limits) -> onBatch -> set(gathered)
 *
 * pause() resets `run` (the watcher stops after its current round, whose
 * wake-up then reads nothing) and unrefs the thread-safe function, so a
 * paused capture does not keep Node alive, as a stopped uv_poll does not.
 * close() sets `stop`, joins the watcher, then closes pcap.
 *
 * Linux-only: the `netns` argument (containers) and a `fanout` group other than 0 throw 'UNSUPPORTED'.
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
#include "capture_batch.h"

typedef struct capture {
  capture_core_t core; /* first: capture_batch.c's part; source_released: the thread-safe function's finalizer ran */
  napi_threadsafe_function wake;
  HANDLE watcher;
  HANDLE ready;    /* Npcap's: frames are waiting (not ours to close) */
  HANDLE stop;     /* manual reset: close() */
  HANDLE run;      /* manual reset: set between resume() and pause() */
  HANDLE gathered; /* auto reset: the JavaScript thread has read after a wake-up */
  DWORD wait_ms;   /* the read timeout; INFINITE in immediate mode */
  volatile LONG more; /* the last read stopped at a batch limit: wake again without waiting */
  int reading;
  int hooked;
} capture_t;

static void after_gather(capture_core_t *core) {
  capture_t *c = (capture_t *)core;
  InterlockedExchange(&c->more, core->full);
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
  c->core.source_released = 1;
  capture_maybe_free(&c->core);
}

static void on_teardown(void *data);

/* close(), the finalizer and the environment's teardown all end here; the first one closes. */
static void close_capture(capture_t *c) {
  if (c->core.closed) return;
  c->core.closed = 1;
  c->reading = 0;
  napi_env env = c->core.env;
  if (c->watcher != NULL) {
    SetEvent(c->stop);
    WaitForSingleObject(c->watcher, INFINITE);
    CloseHandle(c->watcher);
    c->watcher = NULL;
  }
  if (c->wake != NULL) napi_release_threadsafe_function(c->wake, napi_tsfn_abort);
  else c->core.source_released = 1;
  c->wake = NULL;
  capture_release_callbacks(&c->core);
  if (c->hooked) napi_remove_env_cleanup_hook(env, on_teardown, c);
  c->hooked = 0;
  if (c->core.pcap != NULL) pcap_close(c->core.pcap);
  c->core.pcap = NULL;
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

static void stop_reading(capture_t *c) {
  if (!c->reading) return;
  c->reading = 0;
  ResetEvent(c->run);
  napi_unref_threadsafe_function(c->core.env, c->wake);
}

/* The watcher's wake-up, on the JavaScript thread: pcap_capture.c's on_readable. */
static void on_wake(napi_env env, napi_value js_cb, void *context, void *data) {
  capture_t *c = context;
  if (env == NULL || c->core.closed) return;
  if (c->reading) capture_deliver(&c->core, NULL);
  if (!c->core.closed) SetEvent(c->gathered);
}

/* What capture_batch.c asks of this file. */
static void stop_core(capture_core_t *core) {
  stop_reading((capture_t *)core);
}

static const char *start_core(capture_core_t *core) {
  capture_t *c = (capture_t *)core;
  if (c->reading) return NULL;
  if (napi_ref_threadsafe_function(c->core.env, c->wake) != napi_ok) return "cannot resume the capture";
  c->reading = 1;
  SetEvent(c->run);
  return NULL;
}

static void close_core(capture_core_t *core) {
  close_capture((capture_t *)core);
}

static const capture_ops_t ops = {.start = start_core, .stop = stop_core, .close = close_core, .after_gather = after_gather};

/* capture_configure, then what the watcher needs of the handle: its read event. */
static const char *start_pcap(pcap_t *p, const char *filter, const capture_options_t *o, char *message, size_t size) {
  const char *code = capture_configure(
      p, filter, o, "Npcap installed with \"Restrict Npcap driver's access to Administrators only\" needs an elevated process", message, size);
  if (code != NULL) return code;
  if (pcap_getevent(p) == NULL) {
    snprintf(message, size, "the device has no read event");
    return "OPEN";
  }
  return NULL;
}

/* open()'s part with the watcher: its events, the callbacks, the thread-safe function, the thread. 0 or -1. */
static int set_up(capture_t *c, const napi_value *argv) {
  napi_env env = c->core.env;
  napi_value name;
  if ((c->stop = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL || (c->run = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
      (c->gathered = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL)
    return -1;
  if (capture_init_callbacks(&c->core, argv, &name) < 0) return -1;
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, c, on_wake_finalized, c, on_wake, &c->wake) != napi_ok) return -1;
  c->core.source_released = 0;
  /* Not reading yet: an idle capture does not keep Node alive. */
  if (napi_unref_threadsafe_function(env, c->wake) != napi_ok || napi_add_env_cleanup_hook(env, on_teardown, c) != napi_ok) return -1;
  c->hooked = 1;
  if ((c->watcher = CreateThread(NULL, 0, watch, c, 0, NULL)) == NULL) return -1;
  return 0;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (get_args(env, info, argv, 10, 8, CAPTURE_OPEN_USAGE) < 0) return NULL;
  capture_options_t o;
  napi_valuetype netns_type, fanout_type;
  int64_t fanout = 0;
  if (capture_get_options(env, argv, &o) < 0) return NULL;
  if (napi_typeof(env, argv[8], &netns_type) != napi_ok || napi_typeof(env, argv[9], &fanout_type) != napi_ok) return NULL;
  if (netns_type != napi_undefined && netns_type != napi_null) return throw_unsupported(env, "capturing in another network namespace (containers)");
  if (fanout_type != napi_undefined && fanout_type != napi_null && get_integer(env, argv[9], "fanout", 0, 65535, &fanout) < 0) return NULL;
  if (fanout != 0) return throw_unsupported(env, "fanout groups (--workers)");
  char *device, *filter;
  if (capture_get_strings(env, argv, &device, &filter) < 0) return NULL;
  char message[PCAP_ERRBUF_SIZE + 512] = "";
  pcap_t *p = pcap_create(device, message);
  free(device);
  const char *code = p == NULL ? "OPEN" : start_pcap(p, filter, &o, message, sizeof message);
  free(filter);
  napi_value handle;
  capture_t *c = (capture_t *)capture_new(env, p, code, message, sizeof message, sizeof *c, &ops, &handle);
  if (c == NULL) return NULL;

  /* From here the handle owns c: a failure closes it (close_capture) and its finalizer frees it. */
  c->ready = pcap_getevent(p);
  c->wait_ms = o.timeout_ms == 0 ? INFINITE : (DWORD)o.timeout_ms;
  c->core.source_released = 1; /* until the thread-safe function exists */
  return capture_finish_open(&c->core, handle, set_up(c, argv) == 0);
}

napi_status register_pcap_capture(napi_env env, napi_value exports) {
  return capture_register(env, exports, Open, WinAdapters);
}
