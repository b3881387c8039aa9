/*
 * What live capture does the same way on Linux (pcap_capture.c) and Windows (pcap_capture_win.c):
 * the arguments of open(), configuring and activating the pcap handle, pcap records gathered into
 * one batch per wake-up, the calls into JavaScript and their errors, stats() and drain(). Each
 * platform file keeps only how a wake-up reaches the event loop and how a handle is closed.
 */
#ifndef PACKET_AGENT_CAPTURE_BATCH_H
#define PACKET_AGENT_CAPTURE_BATCH_H
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "native.h"

#define RECORD_HEADER_LEN 16
/* A wake-up hands over at most about this much; the rest waits for the next loop turn, so other
 * channels and timers get their share and the JavaScript batch stays cache-sized. Every batch in
 * the stream queues keeps its buffer and columns alive: 1 MiB (~13 800 small frames, then as
 * Packet objects) let a live --dump peak at 193 MB RSS, 256 KiB at 135 MB, at the same CPU per
 * packet (test/bench/README.md). */
#define BATCH_BYTES (1u << 18)
/* libpcap's MAXIMUM_SNAPLEN; 0 asks for it too. */
#define SNAPLEN_MAX 262144
/* The most one wake-up gathers (BATCH_BYTES, then one more record of at most SNAPLEN_MAX), and so
 * the length of a batch buffer that can come back (provide()) to take any later batch. */
#define SPARE_BYTES (2 * BATCH_BYTES + RECORD_HEADER_LEN)
/* Buffers given back and kept for the next batches: more than the stream queues hold. */
#define SPARE_MAX 16
/* Longer than any device name libpcap opens (Linux interface names have at most 15 bytes, Npcap's
 * \Device\NPF_{GUID} 50); a longer one is refused rather than cut short. */
#define DEVICE_MAX 255

typedef struct capture_core capture_core_t;

/* The first member of each platform's capture struct: a pointer to one is a pointer to the other. */
struct capture_core {
  pcap_t *pcap;
  napi_env env;
  napi_ref on_batch;
  napi_ref on_error;
  napi_async_context async;
  uint8_t *out;
  size_t out_len;
  size_t used;
  int nanos;
  int closed;
  /* The two owners of the struct: the JavaScript handle (its finalizer) and the platform's event source. */
  int released;
  int source_released;
  /* Frames that did not fit in memory (allocation failure): reported as drops by stats(). */
  uint32_t lost;
  /* Batch buffers JavaScript gave back (provide()) once every consumer was done with them: the next
   * batches are copied into these instead of a new Buffer each, external memory that V8 frees only
   * at a major collection. `recycling` (set by the first provide()): new batch buffers are made
   * SPARE_BYTES long, so that each can come back. */
  napi_ref spares[SPARE_MAX];
  int spare_count;
  int recycling;
  const struct capture_ops *ops;
};

/* What each platform does its own way. */
typedef struct capture_ops {
  /* Starts reading (resume(), when open and not reading): NULL, or why it cannot, to throw. */
  const char *(*start)(capture_core_t *c);
  /* Stops reading: pause(), and after an error before onError is called. Does nothing when not reading. */
  void (*stop)(capture_core_t *c);
  /* close(), the finalizer and the environment's teardown all end here; the first call closes. */
  void (*close)(capture_core_t *c);
  /* After each read, on the JavaScript thread (Windows: wake the watcher again at once when full); may be NULL. */
  void (*after_gather)(capture_core_t *c);
} capture_ops_t;

/* open()'s arguments but the device, the filter and the namespace (argv[2..7]); 0, or -1 after throwing. */
typedef struct capture_options {
  int64_t snaplen;
  int64_t buffer_bytes;
  int64_t timeout_ms;
  bool promisc;
} capture_options_t;
#define CAPTURE_OPEN_USAGE "open(device, filter, snaplen, bufferBytes, timeoutMs, promisc, onBatch, onError[, netns[, fanout]])"
int capture_get_options(napi_env env, const napi_value *argv, capture_options_t *o);
/* open()'s device and filter (argv[0], argv[1]), malloc'ed; 0, or -1 after throwing (nothing to free). */
int capture_get_strings(napi_env env, const napi_value *argv, char **device, char **filter);

/* Sets the options, activates, compiles and sets the filter, makes the handle non-blocking. Returns
 * NULL, or the error code with `message` filled; `perm_hint` tells what capturing needs. */
const char *capture_configure(pcap_t *p, const char *filter, const capture_options_t *o, const char *perm_hint, char *message, size_t size);

/* Allocates the platform's struct (`size` bytes, a capture_core_t first) and its handle, the external
 * `*handle`, when p is open and code is NULL; otherwise, or on any failure, closes p, throws `code`
 * and returns NULL. The handle's finalizer closes (ops->close) and frees the struct. */
capture_core_t *capture_new(napi_env env, pcap_t *p, const char *code, char *message, size_t message_size, size_t size,
                            const capture_ops_t *ops, napi_value *handle);
/* The references to onBatch (argv[6]) and onError (argv[7]) and the async context; `*name` is its name. 0 or -1. */
int capture_init_callbacks(capture_core_t *c, const napi_value *argv, napi_value *name);
/* open()'s result when the platform's setup succeeded (set_up): { handle, linktype, nanos }; else, or
 * when that cannot be made, closes the capture and throws 'OPEN'. */
napi_value capture_finish_open(capture_core_t *c, napi_value handle, int set_up);
/* Lets go of the callbacks and the async context (closing). */
void capture_release_callbacks(capture_core_t *c);
/* Frees the struct once both owners have let go. */
void capture_maybe_free(capture_core_t *c);

/* One wake-up on the JavaScript thread: reads what is ready (unless the wake-up itself failed with
 * `wake_error`), hands it to onBatch, and reports a failure to onError once. */
void capture_deliver(capture_core_t *c, const char *wake_error);

/* Defines open (the platform's), resume, pause, drain, stats, close, and adapters unless NULL, on exports. */
napi_status capture_register(napi_env env, napi_value exports, napi_callback open, napi_callback adapters);

#endif
