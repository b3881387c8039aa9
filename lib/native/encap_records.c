/*
 * encapAppend: the GRE and VXLAN datagrams of the forwarding sinks (lib/sinks/datagram-sink.ts), written
 * from a PacketBatch's columns, a run of frames in one buffer per call, back to back into the chunk the
 * sink sends with one sendmmsg. Pure encoding, no I/O. The layouts are spec §5.2 and §5.3, described in
 * lib/proto/gre.ts and lib/proto/vxlan.ts (whose decoders read them back, and whose vxlanCheck verifies
 * the v1 check byte written here). It is here because the JavaScript encoding, a call per packet with
 * its header writes and frame copy, was ~12 % of a VXLAN run's CPU at the generator's top rate
 * (test/bench/README.md); a call per run costs what one packet did.
 *
 * encapAppend(out, lengths, state, spec, data, offset, caplen, direction, tsSec, tsNsec, start, end)
 *   out      Buffer: the chunk, laid out as rawSend and packetSend take it: each datagram after
 *            DATAGRAM_HEADROOM bytes (send_batch.h); a datagram is written only while its headroom
 *            and `spec` maxDatagram bytes still fit.
 *   lengths  Uint32Array: each datagram's length, at index state[1]; a datagram only while one is free.
 *   state    Float64Array(2): [0] bytes of `out` used (headroom included), [1] datagrams written; read
 *            and updated.
 *   spec     Uint32Array(7): kind (ENCAP_GRE, ENCAP_VXLAN_V1, ENCAP_VXLAN_V2), value (the GRE key
 *            base, --keybit; the VXLAN VNI of --vni1 or the value of --vni2), maxFrame (the longest
 *            frame or part of one carried), maxDatagram, UDP source port, UDP destination port, and
 *            1 to add the capture-time trailer (VXLAN).
 *   data     Buffer holding the frames of packets start..end-1 (PacketBatch.data[i] for all of them).
 *   offset .. tsNsec: the batch's columns (Uint32Array ×2, Int8Array, Float64Array, Uint32Array).
 * Returns the index of the first packet not taken because the chunk is full, or `end`. A chunk that
 * cannot take even one datagram, or a frame outside `data`, is a RangeError (the datagrams before it
 * are written and counted in state).
 */
#define NAPI_VERSION 8
#include <stdio.h>
#include <string.h>
#include "native.h"
#include "send_batch.h"
#include "wire.h"

#define ENCAP_APPEND_USAGE "encapAppend(out, lengths, state, spec, data, offset, caplen, direction, tsSec, tsNsec, start, end)"
#define STATE_POS 0
#define STATE_DATAGRAMS 1
#define STATE_LEN 2
#define SPEC_KIND 0
#define SPEC_VALUE 1
#define SPEC_MAX_FRAME 2
#define SPEC_MAX_DATAGRAM 3
#define SPEC_SOURCE_PORT 4
#define SPEC_PORT 5
#define SPEC_CAPTIME 6
#define SPEC_LEN 7

#define ENCAP_GRE 0
#define ENCAP_VXLAN_V1 1
#define ENCAP_VXLAN_V2 2

/* GRE: K flag, Transparent Ethernet Bridging, then the key. */
#define GRE_FLAGS_PROTOCOL 0x20006558u
#define GRE_HEADER_LEN 8
#define GRE_DIRECTION_SHIFT 28
#define UDP_HEADER_LEN 8
#define VXLAN_HEADER_LEN 8
#define VXLAN_FLAG_I_WORD 0x08000000u
#define VNI_MASK 0xffffffu
#define V1_SHORT_VNI_MASK 0xfffu
#define V1_DIRECTION_SHIFT 20
/* The v1 check: the header's first 7 bytes and the frame's first 34 (Ethernet and a 20-byte IPv4 header). */
#define CHECK_HEADER_BYTES 7
#define CHECK_FRAME_BYTES 34
#define CHECK_SEED 0x4a3b2d1cu
#define CAPTIME_TRAILER_LEN 8

/* DPDK's raw sum as the reference takes it: little-endian 16-bit words, an odd last byte added as is. */
static uint32_t add_words(uint32_t sum, const uint8_t *p, size_t n) {
  size_t even = n & ~(size_t)1;
  for (size_t i = 0; i < even; i += 2) sum += (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
  if (n & 1) sum += p[even];
  return sum;
}

static uint32_t fold(uint32_t sum) {
  sum = (sum >> 16) + (sum & 0xffff);
  return (sum >> 16) + (sum & 0xffff);
}

/* The 32-bit value of a direction code as JavaScript's `|`, `<<` and `+` take an Int8Array element. */
static uint32_t code_bits(int8_t direction) {
  return (uint32_t)(int32_t)direction;
}

static napi_value EncapAppend(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  append_args_t a;
  if (get_append_args(env, info, argv, 4, ENCAP_APPEND_USAGE, &a) < 0) return NULL;
  uint8_t *out = a.out, *data = a.data;
  size_t out_len = a.out_len, data_len = a.data_len, n = a.end;
  napi_typedarray_type type;
  size_t lengths_len = 0;
  uint32_t *lengths = get_column(env, argv[1], "lengths", napi_uint32_array, 0, ENCAP_APPEND_USAGE);
  if (lengths != NULL) napi_get_typedarray_info(env, argv[1], &type, &lengths_len, NULL, NULL, NULL);
  double *state = lengths ? get_column(env, argv[2], "state", napi_float64_array, STATE_LEN, ENCAP_APPEND_USAGE) : NULL;
  const uint32_t *spec = state ? get_column(env, argv[3], "spec", napi_uint32_array, SPEC_LEN, ENCAP_APPEND_USAGE) : NULL;
  const uint32_t *offset = spec ? get_column(env, argv[5], "offset", napi_uint32_array, n, ENCAP_APPEND_USAGE) : NULL;
  const uint32_t *caplen = offset ? get_column(env, argv[6], "caplen", napi_uint32_array, n, ENCAP_APPEND_USAGE) : NULL;
  const int8_t *direction = caplen ? get_column(env, argv[7], "direction", napi_int8_array, n, ENCAP_APPEND_USAGE) : NULL;
  const double *ts_sec = direction ? get_column(env, argv[8], "tsSec", napi_float64_array, n, ENCAP_APPEND_USAGE) : NULL;
  const uint32_t *ts_nsec = ts_sec ? get_column(env, argv[9], "tsNsec", napi_uint32_array, n, ENCAP_APPEND_USAGE) : NULL;
  if (ts_nsec == NULL) return NULL;

  uint32_t kind = spec[SPEC_KIND], value = spec[SPEC_VALUE], max_frame = spec[SPEC_MAX_FRAME], max_datagram = spec[SPEC_MAX_DATAGRAM];
  int cap_time = spec[SPEC_CAPTIME] != 0;
  size_t headers = kind == ENCAP_GRE ? GRE_HEADER_LEN : UDP_HEADER_LEN + VXLAN_HEADER_LEN;
  size_t trailer = kind != ENCAP_GRE && cap_time ? CAPTIME_TRAILER_LEN : 0;
  if (kind > ENCAP_VXLAN_V2 || (uint64_t)headers + max_frame + trailer > max_datagram) {
    napi_throw_range_error(env, "RANGE", "spec: unknown kind, or maxDatagram shorter than the headers and maxFrame");
    return NULL;
  }
  if (!whole_in_range(state[STATE_POS], (double)out_len) || !whole_in_range(state[STATE_DATAGRAMS], (double)lengths_len)) {
    napi_throw_range_error(env, "RANGE", "state: bytes used or datagram count out of range");
    return NULL;
  }
  size_t pos = (size_t)state[STATE_POS], count = (size_t)state[STATE_DATAGRAMS];
  const char *failure = NULL;
  size_t i = a.start;
  for (; i < n; i++) {
    if (count == lengths_len || pos + DATAGRAM_HEADROOM + max_datagram > out_len) {
      if (count == 0) failure = "the chunk has no room for one datagram";
      break;
    }
    size_t len = caplen[i] < max_frame ? caplen[i] : max_frame;
    if ((uint64_t)offset[i] + len > data_len) {
      failure = "a frame lies beyond data";
      break;
    }
    const uint8_t *frame = data + offset[i];
    uint8_t *d = out + pos + DATAGRAM_HEADROOM;
    uint32_t code = code_bits(direction[i]);
    memcpy(d + headers, frame, len);
    size_t length = headers + len;
    if (kind == ENCAP_GRE) {
      /* The direction OR-ed into bits 31..28, not inserted, as the reference does (greKey in gre.ts). */
      put_be32(d, GRE_FLAGS_PROTOCOL);
      put_be32(d + 4, value | code << GRE_DIRECTION_SHIFT);
    } else {
      uint8_t *v = d + UDP_HEADER_LEN;
      put_be32(v, VXLAN_FLAG_I_WORD);
      if (kind == ENCAP_VXLAN_V2) {
        put_be32(v + 4, value + code);
      } else {
        uint32_t vni = value & VNI_MASK;
        uint32_t wire = code == 0 ? vni : (code & 0xf) << V1_DIRECTION_SHIFT | (vni & V1_SHORT_VNI_MASK);
        put_be32(v + 4, wire << 8);
        size_t checked = len < CHECK_FRAME_BYTES ? len : CHECK_FRAME_BYTES;
        v[7] = (uint8_t)fold(add_words(add_words(CHECK_SEED, v, CHECK_HEADER_BYTES), frame, checked));
      }
      if (trailer) {
        /* Seconds, then whole microseconds × 1000. */
        put_be32(d + length, seconds32(ts_sec[i]));
        put_be32(d + length + 4, ts_nsec[i] / 1000 * 1000);
        length += trailer;
      }
      put_be16(d, spec[SPEC_SOURCE_PORT]);
      put_be16(d + 2, spec[SPEC_PORT]);
      put_be16(d + 4, (uint32_t)length);
      put_be16(d + 6, 0);
    }
    lengths[count++] = (uint32_t)length;
    pos += DATAGRAM_HEADROOM + length;
  }
  state[STATE_POS] = (double)pos;
  state[STATE_DATAGRAMS] = (double)count;
  if (failure != NULL) {
    char message[160];
    snprintf(message, sizeof message, "packet %zu: %s (%zu bytes of out used, %zu datagrams)", i, failure, pos, count);
    napi_throw_range_error(env, "RANGE", message);
    return NULL;
  }
  return index_value(env, i);
}

napi_status register_encap_records(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"encapAppend", NULL, EncapAppend, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
