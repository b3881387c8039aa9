/*
 * Arguments crossing from JavaScript: every number is read as a double and
 * must be a whole number within the range the C side can hold and means;
 * napi_get_value_int32 and _uint32 would wrap 2^31 to -2^31, -1 to
 * 4294967295 and NaN to 0 without a word. Out of range is a RangeError with
 * code 'RANGE' that names the argument.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "native.h"

void throw_coded(napi_env env, const char *code, const char *message) {
  napi_value msg, codev, err;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codev) != napi_ok ||
      napi_create_error(env, codev, msg, &err) != napi_ok || napi_throw(env, err) != napi_ok)
    napi_throw_error(env, code, message);
}

int get_integer(napi_env env, napi_value value, const char *name, int64_t min, int64_t max, int64_t *out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a number", name);
    napi_throw_type_error(env, NULL, message);
    return -1;
  }
  /* The comparisons are exact: min and max stay below 2^53, and NaN fails them all. */
  if (!(d >= (double)min && d <= (double)max) || d != floor(d)) {
    char message[192];
    snprintf(message, sizeof message, "%s must be a whole number from %" PRId64 " to %" PRId64 ", not %.17g", name, min, max, d);
    napi_throw_range_error(env, "RANGE", message);
    return -1;
  }
  *out = (int64_t)d;
  return 0;
}

char *get_string(napi_env env, napi_value value, const char *name, size_t max_len) {
  size_t len;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a string", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (len > max_len) {
    /* Cutting it short would name another device (or none). */
    char message[128];
    snprintf(message, sizeof message, "%s is %zu bytes long, more than %zu", name, len, max_len);
    napi_throw_range_error(env, "RANGE", message);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, value, s, len + 1, &len);
  if (strlen(s) != len) {
    /* C would read only up to the NUL. */
    char message[128];
    snprintf(message, sizeof message, "%s contains a NUL character", name);
    free(s);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  return s;
}

int check_function(napi_env env, napi_value value, const char *name) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_function) return 0;
  char message[128];
  snprintf(message, sizeof message, "%s must be a function", name);
  napi_throw_type_error(env, NULL, message);
  return -1;
}

int get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t max, size_t min, const char *usage) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < min) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  return 0;
}

void *get_column(napi_env env, napi_value value, const char *name, napi_typedarray_type type, size_t min, const char *usage) {
  napi_typedarray_type got;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &got, &length, &data, NULL, NULL) != napi_ok || got != type) {
    char message[256];
    snprintf(message, sizeof message, "%s: wrong type of array (%s)", name, usage);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (length < min) {
    char message[96];
    snprintf(message, sizeof message, "%s has %zu elements, fewer than %zu", name, length, min);
    napi_throw_range_error(env, "RANGE", message);
    return NULL;
  }
  /* An empty array may have no store; nothing is read from it then. */
  return data != NULL ? data : (void *)"";
}

int whole_in_range(double value, double max) {
  return value >= 0 && value <= max && value == floor(value);
}

napi_value index_value(napi_env env, size_t index) {
  napi_value result;
  return napi_create_double(env, (double)index, &result) == napi_ok ? result : NULL;
}

int get_append_args(napi_env env, napi_callback_info info, napi_value *argv, size_t data_arg, const char *usage, append_args_t *a) {
  if (get_args(env, info, argv, 12, 12, usage) < 0) return -1;
  if (napi_get_buffer_info(env, argv[0], (void **)&a->out, &a->out_len) != napi_ok ||
      napi_get_buffer_info(env, argv[data_arg], (void **)&a->data, &a->data_len) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  int64_t start, end;
  if (get_integer(env, argv[11], "end", 0, UINT32_MAX, &end) < 0 || get_integer(env, argv[10], "start", 0, end, &start) < 0) return -1;
  a->start = (size_t)start;
  a->end = (size_t)end;
  return 0;
}
