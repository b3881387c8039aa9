/* Big-endian (network order) fields of the headers the addon writes: ZeroMQ records, GRE/VXLAN datagrams, IPv4. */
#ifndef PACKET_AGENT_WIRE_H
#define PACKET_AGENT_WIRE_H
#include <stdint.h>

static inline uint16_t get_be16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* A capture second (a batch's float64 column) as a 32-bit field holds it, as JavaScript's `>>> 0` does for
 * the seconds pcap carries; what no uint64 holds (negative, NaN, huge) is 0. */
static inline uint32_t seconds32(double seconds) {
  return seconds >= 0 && seconds < 18446744073709551616.0 ? (uint32_t)(uint64_t)seconds : 0;
}

#endif
