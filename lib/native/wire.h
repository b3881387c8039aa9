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

#endif
