/*
 * zmqAppend: the records of the ZeroMQ batch message (lib/proto/zmq-batch.ts has the layout and the
 * rules) written from a PacketBatch's columns, a run of packets per call. Pure encoding, no I/O: it
 * is here because one JavaScript record write per packet (a call, two copies of a few dozen bytes
 * through DataViews, five big-endian fields) cost the ZeroMQ path twice the C++ agent's CPU per
 * packet (test/bench/README.md); a call per batch costs what one packet did.
 *
 * zmqAppend(out, state, entries, data, offset, caplen, wirelen, tsSec, tsNsec, direction, start, end)
 *   out      Buffer: the message being built; its length is the batch's byte limit (rule 3).
 *   state    Float64Array(5): [0] bytes used (header included), [1] records, [2] capture second of
 *            the first record; read and updated. [3] frames too short for the label, [4] frames
 *            neither IPv4 nor IPv6: both added to, never reset.
 *   entries  Uint32Array(16): the MPLS entry for each direction code & 0xF (mpls.ts makes them).
 *   data     Buffer holding the frames of packets start..end-1 (PacketBatch.data[i] for all of them).
 *   offset .. direction: the batch's columns (Uint32Array ×3, Float64Array, Uint32Array, Int8Array).
 * Returns the index of the first packet not taken because the message must be sent first (rules 1-3),
 * or `end`. A frame that cannot be labelled or is not IP is skipped and counted, never a stop.
 */
#define NAPI_VERSION 8
#include <stdio.h>
#include <string.h>
#include "native.h"
#include "wire.h"

#define ZMQ_APPEND_USAGE "zmqAppend(out, state, entries, data, offset, caplen, wirelen, tsSec, tsNsec, direction, start, end)"
#define STATE_POS 0
#define STATE_RECORDS 1
#define STATE_FIRST_SECOND 2
#define STATE_TOO_SHORT 3
#define STATE_NOT_IP 4
#define STATE_LEN 5
#define ENTRIES_LEN 16

#define RECORD_HEADER_LEN 18
#define ETHERNET_HEADER_LEN 14
#define ETHERTYPE_OFFSET 12
#define TAGGED_TYPE_OFFSET 16
#define MPLS_ENTRY_LEN 4
#define MAX_RECORDS 65535
/* N = caplen + 4 must fit the 16-bit length field. */
#define MAX_LABELLED_CAPLEN 65531
/* Rule 2: a message spans at most two capture seconds. */
#define MAX_SECONDS_APART 1
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_MPLS 0x8847

static napi_value ZmqAppend(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  append_args_t a;
  if (get_append_args(env, info, argv, 3, ZMQ_APPEND_USAGE, &a) < 0) return NULL;
  uint8_t *out = a.out, *data = a.data;
  size_t out_len = a.out_len, data_len = a.data_len, n = a.end;
  double *state = get_column(env, argv[1], "state", napi_float64_array, STATE_LEN, ZMQ_APPEND_USAGE);
  const uint32_t *entries = state ? get_column(env, argv[2], "entries", napi_uint32_array, ENTRIES_LEN, ZMQ_APPEND_USAGE) : NULL;
  const uint32_t *offset = entries ? get_column(env, argv[4], "offset", napi_uint32_array, n, ZMQ_APPEND_USAGE) : NULL;
  const uint32_t *caplen = offset ? get_column(env, argv[5], "caplen", napi_uint32_array, n, ZMQ_APPEND_USAGE) : NULL;
  const uint32_t *wirelen = caplen ? get_column(env, argv[6], "wirelen", napi_uint32_array, n, ZMQ_APPEND_USAGE) : NULL;
  const double *ts_sec = wirelen ? get_column(env, argv[7], "tsSec", napi_float64_array, n, ZMQ_APPEND_USAGE) : NULL;
  const uint32_t *ts_nsec = ts_sec ? get_column(env, argv[8], "tsNsec", napi_uint32_array, n, ZMQ_APPEND_USAGE) : NULL;
  const int8_t *direction = ts_nsec ? get_column(env, argv[9], "direction", napi_int8_array, n, ZMQ_APPEND_USAGE) : NULL;
  if (direction == NULL) return NULL;

  if (!whole_in_range(state[STATE_POS], (double)out_len) || !whole_in_range(state[STATE_RECORDS], MAX_RECORDS)) {
    napi_throw_range_error(env, "RANGE", "state: bytes used or record count out of range");
    return NULL;
  }
  size_t pos = (size_t)state[STATE_POS];
  uint32_t records = (uint32_t)state[STATE_RECORDS];
  double first = state[STATE_FIRST_SECOND];
  double too_short = 0, not_ip = 0;
  int outside = 0;
  size_t i = a.start;
  for (; i < n; i++) {
    size_t len = caplen[i];
    if ((uint64_t)offset[i] + len > data_len) {
      outside = 1;
      break;
    }
    const uint8_t *frame = data + offset[i];
    /* The label replaces the EtherType after the MACs, or after one 802.1Q tag (labelAt in zmq-batch.ts). */
    if (len < ETHERNET_HEADER_LEN) {
      too_short++;
      continue;
    }
    size_t type_at = ((uint32_t)frame[ETHERTYPE_OFFSET] << 8 | frame[ETHERTYPE_OFFSET + 1]) == ETHERTYPE_VLAN ? TAGGED_TYPE_OFFSET : ETHERTYPE_OFFSET;
    if (len < type_at + 2) {
      too_short++;
      continue;
    }
    uint32_t type = (uint32_t)frame[type_at] << 8 | frame[type_at + 1];
    if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6) {
      not_ip++;
      continue;
    }
    size_t kept = len < MAX_LABELLED_CAPLEN ? len : MAX_LABELLED_CAPLEN;
    size_t labelled = kept + MPLS_ENTRY_LEN;
    double sec = ts_sec[i];
    int room = records < MAX_RECORDS && pos + RECORD_HEADER_LEN + labelled <= out_len;
    /* An empty message that has no room for the frame stops too: the caller throws. */
    if (!room || (records > 0 && sec > first + MAX_SECONDS_APART)) break;
    if (records == 0) first = sec;

    uint8_t *r = out + pos;
    put_be16(r, (uint32_t)labelled);
    put_be32(r + 2, seconds32(sec));
    put_be32(r + 6, ts_nsec[i] / 1000);
    put_be32(r + 10, (uint32_t)(len + MPLS_ENTRY_LEN));
    put_be32(r + 14, wirelen[i] + MPLS_ENTRY_LEN);
    r += RECORD_HEADER_LEN;
    /* MACs (and the tag), the label in the EtherType's place, then the rest of the frame: the packet's own bytes are never written. */
    memcpy(r, frame, type_at);
    put_be16(r + type_at, ETHERTYPE_MPLS);
    put_be32(r + type_at + 2, entries[(uint8_t)direction[i] & 0xf]);
    memcpy(r + type_at + 2 + MPLS_ENTRY_LEN, frame + type_at + 2, kept - type_at - 2);
    pos += RECORD_HEADER_LEN + labelled;
    records++;
  }
  state[STATE_POS] = (double)pos;
  state[STATE_RECORDS] = records;
  state[STATE_FIRST_SECOND] = first;
  state[STATE_TOO_SHORT] += too_short;
  state[STATE_NOT_IP] += not_ip;
  if (outside) {
    /* The records before it are written and counted in state. */
    char message[128];
    snprintf(message, sizeof message, "packet %zu: %zu bytes at %u lie beyond data's %zu", i, (size_t)caplen[i], (unsigned)offset[i], data_len);
    napi_throw_range_error(env, "RANGE", message);
    return NULL;
  }
  return index_value(env, i);
}

napi_status register_zmq_records(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"zmqAppend", NULL, ZmqAppend, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
