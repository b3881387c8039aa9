import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from '../../lib/packet.js';
import { toEthernet } from '../../lib/proto/link-to-ethernet.js';
import { hex } from '../helpers/hex.js';

/** The start of an IPv4 header and of an IPv6 header: enough for the version nibble. */
const IP4 = '45 00 00 14';
const IP6 = '60 00 00 00';
const SRC = '02 42 ac 11 00 02';
const ZERO = '00 00 00 00 00 00';

function convert(linktype: number, frame: string): string | number {
  const f = hex(frame);
  const out = Buffer.alloc(f.length + 14, 0xee);
  const n = toEthernet(linktype, f, f.length, out);
  return n < 0 ? n : out.subarray(0, n).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

const norm = (s: string): string => hex(s).toString('hex').replace(/(..)(?!$)/g, '$1 ');

test('golden conversions to Ethernet II', () => {
  const cases: [string, number, string, string][] = [
    // SLL: pkttype 0 (to us), ARPHRD_ETHER, addr len 6, addr, padding, protocol 0x0800
    ['SLL unicast in', LINKTYPE_LINUX_SLL, `00 00  00 01  00 06  ${SRC} 00 00  08 00  ${IP4}`, `${ZERO} ${SRC} 08 00 ${IP4}`],
    ['SLL broadcast', LINKTYPE_LINUX_SLL, `00 01  00 01  00 06  ${SRC} 00 00  08 06  01 02`, `ff ff ff ff ff ff ${SRC} 08 06 01 02`],
    ['SLL outgoing, no address (tun)', LINKTYPE_LINUX_SLL, `00 04  ff fe  00 00  00 00 00 00 00 00 00 00  86 dd  ${IP6}`, `${ZERO} ${ZERO} 86 dd ${IP6}`],
    // SLL2: protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr (8)
    ['SLL2', LINKTYPE_LINUX_SLL2, `08 00  00 00  00 00 00 03  00 01  00  06  ${SRC} 00 00  ${IP4}`, `${ZERO} ${SRC} 08 00 ${IP4}`],
    ['RAW IPv4', LINKTYPE_RAW, IP4, `${ZERO} ${ZERO} 08 00 ${IP4}`],
    ['RAW IPv6', LINKTYPE_RAW, IP6, `${ZERO} ${ZERO} 86 dd ${IP6}`],
    ['IPV4', LINKTYPE_IPV4, IP4, `${ZERO} ${ZERO} 08 00 ${IP4}`],
    ['IPV6', LINKTYPE_IPV6, IP6, `${ZERO} ${ZERO} 86 dd ${IP6}`],
    // NULL: AF_INET in the capturing host's byte order (little-endian here), LOOP: network order
    ['NULL little-endian AF_INET', LINKTYPE_NULL, `02 00 00 00 ${IP4}`, `${ZERO} ${ZERO} 08 00 ${IP4}`],
    ['NULL big-endian AF_INET6 (macOS 30)', LINKTYPE_NULL, `00 00 00 1e ${IP6}`, `${ZERO} ${ZERO} 86 dd ${IP6}`],
    ['LOOP AF_INET', LINKTYPE_LOOP, `00 00 00 02 ${IP4}`, `${ZERO} ${ZERO} 08 00 ${IP4}`],
    ['Ethernet unchanged', LINKTYPE_ETHERNET, `${ZERO} ${SRC} 08 00 ${IP4}`, `${ZERO} ${SRC} 08 00 ${IP4}`],
  ];
  for (const [name, linktype, frame, want] of cases) assert.equal(convert(linktype, frame), norm(want), name);
});

test('what cannot be carried as Ethernet: -1', () => {
  assert.equal(convert(105, '08 02 00 00'), -1, '802.11');
  assert.equal(convert(LINKTYPE_LINUX_SLL, '00 00 00 01 00 06'), -1, 'cooked header cut short');
  assert.equal(convert(LINKTYPE_RAW, '50 00'), -1, 'IP version 5');
  assert.equal(convert(LINKTYPE_RAW, ''), -1, 'empty');
  assert.equal(convert(LINKTYPE_NULL, '07 00 00 00 00'), -1, 'address family 7');
});
