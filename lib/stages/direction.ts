/**
 * `--dir` (spec §3): tags each frame in (1) or out (2) and removes the frames
 * it cannot classify, counting them in counters.droppedDirection.
 *
 * Deliberate differences from the reference:
 * - no `--dir`: every frame passes with direction 0 (ARP, IPv6, QinQ … too);
 * - expression mode reads p.l3Offset / p.etherType from the VLAN stage, which
 *   must run first, so 802.1Q, QinQ and Linux SLL frames are classified;
 *   IHL and fragments are honoured and reads stop at caplen;
 * - mistakes in the expression are UserErrors at parse time, not silence.
 */
import { networkInterfaces } from 'node:os';
import type { ChannelCounters } from '../counters.js';
import { UserError } from '../errors.js';
import { compactBatch, DIR_IN, DIR_OUT, DIR_UNKNOWN, type Batch, type Packet } from '../packet.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4 } from '../proto/ethernet.js';
import { decodeIPv4, IPPROTO_UDP, IPv4View, parseIPv4, UDP_HEADER_LEN } from '../proto/ipv4.js';
import { VXLAN_HEADER_LEN } from '../proto/vxlan.js';
import type { BatchFn } from './batch-stage.js';

export type DirectionSpec =
  | { mode: 'none' }
  | { mode: 'auto'; mac: Buffer /* 6 bytes */ }
  | { mode: 'expr'; hosts: number[] /* IPv4 as uint32 */; ports: number[] };

/**
 * Parses a `--dir` value (§3.4). `auto` gives `{ mode: 'auto', mac: <empty> }`:
 * the interface MAC is only known when the capture opens, so the caller must
 * put the 6 bytes in `mac` before makeDirectionFn.
 *
 * Otherwise the value is split on `_`; `host`/`(host` takes the next token
 * (one trailing `)` removed) as an IPv4 literal or `nic.<name>` (every IPv4
 * address of that interface), `port`/`(port` the next token as a port; other
 * tokens are ignored and the last token is never a keyword. The result is two
 * sets, not a boolean expression.
 *
 * `nic.<name>` takes the name from its own token only. An interface whose
 * name contains `_` (`br_ex`) therefore cannot be named: the `_` split has
 * already cut it, and rebuilding it from the following tokens, as the
 * reference does (joined with spaces), finds no interface either.
 *
 * Throws UserError for a host that is not an IPv4 literal, a port outside
 * 0-65535, an unknown interface or one without IPv4 address, and for an
 * expression without any host (it could never match: every frame would drop).
 */
export function parseDirExpression(expr: string, resolveNic: (name: string) => string[] | undefined): DirectionSpec {
  if (expr === 'auto') return { mode: 'auto', mac: Buffer.alloc(0) };
  const tokens = expr.split('_');
  const hosts: number[] = [];
  const ports: number[] = [];
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i];
    if (token === 'host' || token === '(host') {
      i++;
      addHosts(hosts, withoutParen(tokens[i]), resolveNic);
    } else if (token === 'port' || token === '(port') {
      i++;
      ports.push(parsePort(withoutParen(tokens[i])));
    }
  }
  if (hosts.length === 0) {
    throw new UserError(`--dir ${JSON.stringify(expr)} names no host, so no frame could ever match (use host_a.b.c.d or host_nic.<interface>)`);
  }
  return { mode: 'expr', hosts, ports };
}

function withoutParen(token: string): string {
  return token.endsWith(')') ? token.slice(0, -1) : token;
}

function addHosts(hosts: number[], arg: string, resolveNic: (name: string) => string[] | undefined): void {
  if (!arg.startsWith('nic.')) {
    const addr = parseIPv4(arg);
    if (addr === null) throw new UserError(`--dir: host ${JSON.stringify(arg)} is not an IPv4 address (a.b.c.d)`);
    hosts.push(addr);
    return;
  }
  const name = arg.slice('nic.'.length);
  const addrs = resolveNic(name);
  if (addrs === undefined) throw new UserError(`--dir: host ${JSON.stringify(arg)}: no interface named ${JSON.stringify(name)}`);
  if (addrs.length === 0) throw new UserError(`--dir: host ${JSON.stringify(arg)}: interface ${JSON.stringify(name)} has no IPv4 address`);
  for (const text of addrs) {
    const addr = parseIPv4(text);
    if (addr === null) throw new UserError(`--dir: host ${JSON.stringify(arg)}: interface address ${JSON.stringify(text)} is not IPv4`);
    hosts.push(addr);
  }
}

function parsePort(arg: string): number {
  const port = /^\d{1,5}$/.test(arg) ? Number(arg) : -1;
  if (port < 0 || port > 65535) throw new UserError(`--dir: port ${JSON.stringify(arg)} is not an integer 0-65535`);
  return port;
}

/** The IPv4 addresses of interface `name`; undefined when there is no such interface. */
export function resolveNicIPv4(name: string): string[] | undefined {
  const addrs = networkInterfaces()[name];
  return addrs?.filter((a) => a.family === 'IPv4').map((a) => a.address);
}

/** Builds the direction stage once per configuration (STYLE 11); mode none is a no-op function. */
export function makeDirectionFn(spec: DirectionSpec, counters: ChannelCounters): BatchFn {
  switch (spec.mode) {
    case 'none':
      return () => {};
    case 'auto':
      return dropUnknown(macClassifier(spec.mac), counters);
    case 'expr':
      return dropUnknown(exprClassifier(spec.hosts, spec.ports), counters);
  }
}

function dropUnknown(classify: (p: Packet) => number, counters: ChannelCounters): BatchFn {
  const keep = (p: Packet): boolean => {
    p.direction = classify(p);
    return p.direction !== DIR_UNKNOWN;
  };
  return (batch: Batch) => {
    counters.droppedDirection += compactBatch(batch, keep);
  };
}

/** Source MAC (bytes 6..11) ours → out, anything else → in, whatever the frame carries. */
function macClassifier(mac: Buffer): (p: Packet) => number {
  if (mac.length !== 6) throw new RangeError(`--dir auto needs the interface's 6-byte MAC, got ${mac.length} bytes`);
  // Read per packet, as two integers (no subarray or Buffer.compare): a live
  // source refreshes the MAC in this buffer at every reopen.
  return (p) => {
    if (p.caplen < ETHERNET_HEADER_LEN) return DIR_UNKNOWN;
    return p.data.readUInt32BE(6) === mac.readUInt32BE(0) && p.data.readUInt16BE(10) === mac.readUInt16BE(4) ? DIR_OUT : DIR_IN;
  };
}

function exprClassifier(hosts: number[], ports: number[]): (p: Packet) => number {
  const hostSet = new Set(hosts);
  const portSet = new Set(ports);
  const anyPort = portSet.size === 0;
  const matches = (addr: number, port: number): boolean => hostSet.has(addr) && (anyPort || portSet.has(port));
  // Reused for every packet (STYLE 2).
  const outer = new IPv4View();
  const inner = new IPv4View();
  return (p) => {
    if (p.etherType !== ETHERTYPE_IPV4 || !decodeIPv4(p.data, p.l3Offset, p.caplen, outer)) return DIR_UNKNOWN;
    const v = decodeVxlanInner(p.data, p.caplen, outer, inner) ? inner : outer;
    if (matches(v.src, v.srcPort)) return DIR_OUT;
    if (matches(v.dst, v.dstPort)) return DIR_IN;
    return DIR_UNKNOWN;
  };
}

/** The reference treats every UDP port in [4700, 4800) as VXLAN, not only 4789 (§3.3). */
const VXLAN_PORT_MIN = 4700;
const VXLAN_PORT_END = 4800;

/**
 * VXLAN peek (§3.3, the intent rather than the reference's offsets): when the
 * outer UDP goes to a VXLAN port and carries untagged inner Ethernet with
 * IPv4, fills `inner` and returns true; the caller then classifies by the
 * inner addresses and ports (ports 0 when the inner packet has none).
 */
function decodeVxlanInner(d: Buffer, end: number, outer: IPv4View, inner: IPv4View): boolean {
  // dstPort is only non-zero when the outer UDP port bytes were captured.
  if (outer.protocol !== IPPROTO_UDP || outer.dstPort < VXLAN_PORT_MIN || outer.dstPort >= VXLAN_PORT_END) return false;
  const eth = outer.l4Offset + UDP_HEADER_LEN + VXLAN_HEADER_LEN;
  // decodeIPv4 first: its bounds check against end also covers the inner EtherType read.
  return decodeIPv4(d, eth + ETHERNET_HEADER_LEN, end, inner) && ((d[eth + 12] << 8) | d[eth + 13]) === ETHERTYPE_IPV4;
}
