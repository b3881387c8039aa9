/* Raw sending's platform-independent part: see send_batch.h, and raw_sender.c for the interface. */
#define NAPI_VERSION 8
#include "send_batch.h"
#ifndef _WIN32
#include <arpa/inet.h>
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int send_open_args(napi_env env, napi_callback_info info, napi_value *argv, int64_t *protocol, napi_valuetype *device_type, int64_t *pmtudisc) {
  size_t argc = 3;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || napi_typeof(env, argv[1], device_type) != napi_ok) {
    napi_throw_type_error(env, NULL, "rawOpen(protocol, device | null, pmtudisc | -1)");
    return -1;
  }
  if (get_integer(env, argv[0], "protocol", 1, 255, protocol) < 0 || get_integer(env, argv[2], "pmtudisc", -1, PMTUDISC_MAX, pmtudisc) < 0)
    return -1;
  return 0;
}

int send_batch_args(napi_env env, napi_callback_info info, int64_t fd_max, const char *usage, send_batch_t *b) {
  size_t argc = 6;
  napi_value argv[6];
  size_t data_len, lengths_count;
  napi_typedarray_type lengths_type;
  void *lengths_data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &b->scratch) != napi_ok || argc < 6 ||
      napi_get_buffer_info(env, argv[1], (void **)&b->data, &data_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &lengths_type, &lengths_count, &lengths_data, NULL, NULL) != napi_ok ||
      lengths_type != napi_uint32_array) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  int64_t address;
  if (get_integer(env, argv[0], "fd", 0, fd_max, &b->fd) < 0 || get_integer(env, argv[4], "count", 0, (int64_t)lengths_count, &b->count) < 0 ||
      get_integer(env, argv[3], "start", 0, b->count, &b->start) < 0 || get_integer(env, argv[5], "address", 0, UINT32_MAX, &address) < 0)
    return -1;
  b->lengths = lengths_data;
  /* At most 2^32 lengths of less than 2^32 each, with their headroom: the sum fits in 64 bits. */
  uint64_t total = 0;
  for (int64_t i = 0; i < b->count; i++) total += DATAGRAM_HEADROOM + (uint64_t)b->lengths[i];
  if (total > data_len) {
    char message[160];
    snprintf(message, sizeof message, "lengths up to count add up to %" PRIu64 " bytes with their headroom, more than the %zu of datagrams", total, data_len);
    napi_throw_range_error(env, "RANGE", message);
    return -1;
  }
  memset(&b->to, 0, sizeof b->to);
  b->to.sin_family = AF_INET;
  b->target = (uint32_t)address;
  b->to.sin_addr.s_addr = htonl(b->target);
  b->offset = DATAGRAM_HEADROOM;
  for (int64_t i = 0; i < b->start; i++) b->offset += b->lengths[i] + DATAGRAM_HEADROOM;
  return 0;
}

napi_value send_batch_result(napi_env env, int64_t sent, int err) {
  napi_value result;
  napi_create_int64(env, sent == 0 && err != 0 ? -(int64_t)err : sent, &result);
  return result;
}

napi_value throw_socket_error(napi_env env, int err_no, const char *text) {
  napi_value msg, error, code, errno_value;
  napi_create_string_utf8(env, err_no == EPERM || err_no == EACCES ? "PERM" : "OPEN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err_no, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

napi_value throw_socket_errno(napi_env env, int err_no, const char *what) {
  char text[256];
  snprintf(text, sizeof text, "%s%s%s", what, what[0] ? ": " : "", strerror(err_no));
  return throw_socket_error(env, err_no, text);
}

static void free_scratch(void *scratch) {
  free(scratch);
}

void *send_scratch(napi_env env, size_t size) {
  void *scratch = malloc(size);
  if (scratch != NULL && napi_add_env_cleanup_hook(env, free_scratch, scratch) != napi_ok) {
    free(scratch);
    scratch = NULL;
  }
  return scratch;
}

static napi_value RawClose(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  const send_closer_t *closer;
  int64_t fd;
  size_t argc = 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&closer) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "rawClose(fd)");
    return NULL;
  }
  if (get_integer(env, argv[0], "fd", 0, closer->fd_max, &fd) < 0) return NULL;
  closer->close(fd);
  return NULL;
}

napi_status send_register(napi_env env, napi_value exports, napi_callback open, napi_callback send, void *send_data, const send_closer_t *closer) {
  napi_value headroom;
  if (napi_create_uint32(env, DATAGRAM_HEADROOM, &headroom) != napi_ok) return napi_generic_failure;
  napi_property_descriptor props[] = {
      {"datagramHeadroom", NULL, NULL, NULL, NULL, headroom, napi_enumerable, NULL},
      {"rawOpen", NULL, open, NULL, NULL, NULL, napi_default, NULL},
      {"rawSend", NULL, send, NULL, NULL, NULL, napi_default, send_data},
      {"rawClose", NULL, RawClose, NULL, NULL, NULL, napi_default, (void *)closer},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
