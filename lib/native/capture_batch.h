/*
 * What live capture does the same way on Linux (pcap_capture.c) and Windows (pcap_capture_win.c):
 * the arguments of open(), configuring and activating the pcap handle, the frames of a wake-up
 * read into one batch buffer, the calls into JavaScript and their errors, stats() and drain(). Each
 * platform file keeps only how a wake-up reaches the event loop and how a handle is closed.
 */
#ifndef PACKET_AGENT_CAPTURE_BATCH_H
#define PACKET_AGENT_CAPTURE_BATCH_H
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "native.h"

/* A wake-up hands over frames until it holds at least this many bytes of records or
 * BATCH_PACKETS_MAX frames; the rest waits for the next loop turn, so other channels and timers
 * get their share and the JavaScript batch stays cache-sized. Every batch in the stream queues
 * keeps its buffer and columns alive: 1 MiB (~13 800 small frames) let a live --dump peak at
 * 193 MB RSS, 256 KiB at 135 MB, at the same CPU per packet (test/bench/README.md). */
#define BATCH_BYTES (1u << 18)
#define BATCH_PACKETS_MAX 4096
/* libpcap's MAXIMUM_SNAPLEN; 0 asks for it too. */
#define SNAPLEN_MAX 262144
/*
 * The batch buffer onBatch and drain() hand over, and provide() takes back: the frames one after
 * another, each after its classic pcap record header (little-endian: seconds, nanoseconds, caplen,
 * wire length), so that a nanosecond dump writes a batch as it lies, without copying a record
 * (PcapRecordEncoder); then the batch as columns, which JavaScript copies into a PacketBatch in
 * bulk instead of decoding a record per packet (lib/proto/capture-batch.ts; the addon exports these
 * offsets as `captureBatch`). Columns in the machine's byte order, each 8-byte aligned:
 *   [0, FRAMES_BYTES)  the records: BATCH_BYTES, then one more of at most SNAPLEN_MAX bytes of frame
 *   COUNT_AT           uint32: frames in the batch (n)
 *   TS_SEC_AT          double[n]: capture time, whole seconds
 *   OFFSET_AT          uint32[n]: where the frame starts in the buffer (after its record header)
 *   CAPLEN_AT          uint32[n]: bytes captured
 *   WIRELEN_AT         uint32[n]: length on the wire, never below the captured length
 *   TS_NSEC_AT         uint32[n]: nanoseconds within the second (microseconds × 1000 where the kernel gave those)
 */
#define RECORD_HEADER_LEN 16
#define FRAMES_BYTES (BATCH_BYTES + RECORD_HEADER_LEN + SNAPLEN_MAX)
#define COUNT_AT FRAMES_BYTES
#define TS_SEC_AT (COUNT_AT + 8)
#define OFFSET_AT (TS_SEC_AT + 8 * BATCH_PACKETS_MAX)
#define CAPLEN_AT (OFFSET_AT + 4 * BATCH_PACKETS_MAX)
#define WIRELEN_AT (CAPLEN_AT + 4 * BATCH_PACKETS_MAX)
#define TS_NSEC_AT (WIRELEN_AT + 4 * BATCH_PACKETS_MAX)
#define BATCH_BUFFER_BYTES (TS_NSEC_AT + 4 * BATCH_PACKETS_MAX)
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
  /* The batch buffer being gathered into (between the start and the end of a read, else NULL), the
   * bytes of frames and the frames in it so far, and whether the read stopped at a limit (more may
   * be ready at once). */
  uint8_t *batch;
  size_t used;
  uint32_t count;
  int full;
  int nanos;
  int closed;
  /* The two owners of the struct: the JavaScript handle (its finalizer) and the platform's event source. */
  int released;
  int source_released;
  /* Frames that did not fit in the batch (never: a read stops at the limits first): reported as drops by stats(). */
  uint32_t lost;
  /* Batch buffers JavaScript gave back (provide()) once every consumer was done with them, and ones
   * a read left empty: the next batches are read into these instead of a new Buffer each, external
   * memory that V8 frees only at a major collection. */
  napi_ref spares[SPARE_MAX];
  int spare_count;
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
