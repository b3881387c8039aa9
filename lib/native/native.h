/* The parts of the packet_io addon; each registers its functions on the module's exports. */
#ifndef PACKET_AGENT_NATIVE_H
#define PACKET_AGENT_NATIVE_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

napi_status register_pcap_capture(napi_env env, napi_value exports);
napi_status register_raw_sender(napi_env env, napi_value exports);
napi_status register_packet_sender(napi_env env, napi_value exports);
napi_status register_ip_output_hooks(napi_env env, napi_value exports);
napi_status register_netns(napi_env env, napi_value exports);
napi_status register_affinity(napi_env env, napi_value exports);
napi_status register_privileges(napi_env env, napi_value exports);
napi_status register_zmq_records(napi_env env, napi_value exports);
napi_status register_encap_records(napi_env env, napi_value exports);
napi_status register_tcp_queues(napi_env env, napi_value exports);

/* netns.c: enter the namespace at `path` (NULL: stay) on this thread, saving ours in *saved; 0, or -1 with
 * `message` filled. netns_leave always returns (or ends the process: it must not stay elsewhere). */
int netns_enter(const char *path, int *saved, char *message, size_t size);
void netns_leave(int saved);
/* The optional namespace argument: undefined or null → *path NULL, else a malloc'ed path; -1 after throwing. */
int get_netns_arg(napi_env env, napi_value value, char **path);

/* args.c: each returns 0 (or the string, to free) or throws and returns -1 (NULL). */

/* A whole number in [min, max] (|min|, |max| < 2^53); else a RangeError with code 'RANGE' naming `name`. */
int get_integer(napi_env env, napi_value value, const char *name, int64_t min, int64_t max, int64_t *out);
/* A string of at most max_len bytes (UTF-8) without NUL characters, malloc'ed. */
char *get_string(napi_env env, napi_value value, const char *name, size_t max_len);
int check_function(napi_env env, napi_value value, const char *name);
/* The call's arguments into argv[0..max) (missing ones undefined); fewer than `min`: a TypeError showing `usage`, -1. */
int get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t max, size_t min, const char *usage);
/* A typed array of `type` with at least `min` elements (its store), or NULL after throwing a TypeError showing
 * `usage` (another type) or a RangeError naming it (too short). */
void *get_column(napi_env env, napi_value value, const char *name, napi_typedarray_type type, size_t min, const char *usage);
/* What the encoders that write from a batch's columns (zmqAppend, encapAppend) share: `out` (argv[0]), the
 * buffer the frames lie in (argv[data_arg]), and `start`, `end` (argv[10], argv[11]; start <= end < 2^32). */
typedef struct append_args {
  uint8_t *out, *data;
  size_t out_len, data_len;
  size_t start, end;
} append_args_t;
/* Reads the call's 12 arguments into argv and the shared ones into *a: 0, or -1 after throwing. */
int get_append_args(napi_env env, napi_callback_info info, napi_value *argv, size_t data_arg, const char *usage, append_args_t *a);
/* Whether `value` (a number JavaScript handed over in a typed array) is a whole number in [0, max]. */
int whole_in_range(double value, double max);
/* A packet index as the JavaScript number an append function returns; NULL if it cannot be made. */
napi_value index_value(napi_env env, size_t index);
/* Throws an Error whose `code` property is `code`. */
void throw_coded(napi_env env, const char *code, const char *message);

#endif
