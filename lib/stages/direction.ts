/**
 * `--dir` (spec §3): tags each frame in (1) or out (2) and removes the frames
 * it cannot classify, counting them in its DirectionCounters; every frame is
 * also counted there by its direction.
 *
 * Deliberate differences from the reference:
 * - no `--dir`: every frame passes with direction 0 (ARP, IPv6, QinQ … too);
 * - expression mode reads the l3Offset / etherType columns from the VLAN stage, which
 *   must run first, so 802.1Q, QinQ and Linux SLL frames are classified;
 *   IHL and fragments are honoured and reads stop at caplen;
 * - the expression is a boolean expression (and, or, not, parentheses), not
 *   two sets;
 * - mistakes in the expression are UserErrors at parse time, not silence.
 */
import { StageCounters } from '../counters.js';
import { UserError } from '../errors.js';
import { DIR_IN, DIR_OUT, DIR_UNKNOWN, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, type Batch } from '../packet.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, LINUX_SLL2_HEADER_LEN, LINUX_SLL_HEADER_LEN, PACKET_OUTGOING, SLL2_PKTTYPE_OFFSET, SLL_PKTTYPE_OFFSET } from '../proto/ethernet.js';
import { decodeIPv4, IPPROTO_UDP, IPv4View, parseIPv4, UDP_HEADER_LEN } from '../proto/ipv4.js';
import { VXLAN_HEADER_LEN } from '../proto/vxlan.js';
import type { BatchFn, CountingStage } from './batch-stage.js';

/** The summary's name for the frames `--dir` could not classify. */
export const DIRECTION_DROP = 'direction unknown';

/** The direction stage's counts: the frames it dropped, and every frame by its direction. */
export class DirectionCounters extends StageCounters {
  /**
   * Frames per direction code, at index code + 1 (DIR_UNKNOWN -1, none 0, in 1, out 2): one typed-array
   * increment per frame. Float64 so that a long run cannot wrap, as 32-bit counters would after 4 Gi frames.
   */
  readonly directions = new Float64Array(4);

  constructor() {
    super(DIRECTION_DROP);
  }
}

/**
 * A `--dir` expression, evaluated for one end of a frame: its address (IPv4
 * as uint32) and its port. `host` and `port` leaves hold sets: `or` between
 * two leaves of one kind is merged into one.
 */
export type DirTerm =
  | { host: number[] }
  | { port: number[] }
  | { not: DirTerm }
  | { and: [DirTerm, DirTerm] }
  | { or: [DirTerm, DirTerm] };

export type DirectionSpec =
  | { mode: 'none' }
  | { mode: 'auto'; mac: Buffer /* 6 bytes */ }
  | { mode: 'expr'; term: DirTerm };

/**
 * Parses a `--dir` value (§3.4). `auto` gives `{ mode: 'auto', mac: <empty> }`:
 * the interface MAC is only known when the capture opens, so the caller must
 * put the 6 bytes in `mac` before makeDirectionFn.
 *
 * Otherwise the value is split on `_` (parentheses may be glued to a word:
 * `(host`, `80)`) and read as a boolean expression about one end of a frame,
 * with tcpdump's grammar and precedence: `host ADDR` (an IPv4 literal, or
 * `nic.<name>`: any IPv4 address of that interface), `port N`, `not`, `and`,
 * `or`, parentheses; `not` binds tightest, `and` and `or` bind equally from
 * the left (`host_A_or_host_B_and_port_80` is `(A or B) and port 80`). A frame
 * whose source end matches is out, else whose destination end matches is in.
 * The reference only collected two sets (ignoring `or`, `not` and every
 * other word, so `host_A_or_port_80` meant `host A and port 80`); the forms it
 * was given (`host_A_and_port_80`, hosts joined by `or`) mean the same here.
 *
 * `nic.<name>` takes the name from its own word only: an interface whose name
 * contains `_` (`br_ex`) cannot be named, the `_` split has already cut it.
 *
 * Throws UserError for an unknown word (`src`, `dst`, `tcp` …), a missing
 * value, unbalanced parentheses, two terms without `and`/`or` between them,
 * a host that is not an IPv4 literal, a port outside 0-65535, an unknown
 * interface or one without IPv4 address, and for an expression that no end
 * can match (every frame would drop).
 */
export function parseDirExpression(expr: string, resolveNic: (name: string) => string[] | undefined): DirectionSpec {
  if (expr === 'auto') return { mode: 'auto', mac: Buffer.alloc(0) };
  const words = dirWords(expr);
  let i = 0;
  const fail = (why: string): never => {
    throw new UserError(`--dir ${JSON.stringify(expr)}: ${why}`);
  };
  const value = (keyword: string): string => {
    const w = words[i];
    if (w === undefined || w === '(' || w === ')') fail(`"${keyword}" needs a value`);
    i++;
    return w!;
  };
  const unary = (): DirTerm => {
    const w = words[i++];
    switch (w) {
      case 'not':
        return { not: unary() };
      case '(': {
        const t = sequence();
        if (words[i++] !== ')') fail('"(" without ")"');
        return t;
      }
      case 'host':
        return { host: hostAddresses(value('host'), resolveNic) };
      case 'port':
        return { port: [parsePort(value('port'))] };
      case undefined:
        return fail('ends where host, port, not or ( is expected');
      default:
        return fail(`${unknownWord(w)} where host, port, not or ( is expected`);
    }
  };
  const sequence = (): DirTerm => {
    let left = unary();
    for (let op = words[i]; op === 'and' || op === 'or'; op = words[i]) {
      i++;
      left = combine(op, left, unary());
    }
    return left;
  };
  const term = sequence();
  if (i < words.length) {
    const w = words[i]!;
    if (w === ')') fail('")" without "("');
    if (KEYWORDS.has(w)) fail(`"${w}" follows a complete term: join them with and / or`);
    // `host_nic.br_ex`: the word after a nic name is most likely the rest of that name.
    const hint = words[i - 1]!.startsWith('nic.') ? ' (an interface name cannot contain "_": the expression is split on it)' : '';
    fail(`${unknownWord(w)}${hint}`);
  }
  if (!canMatch(term)) fail('no address and port can match it, so every frame would be dropped');
  return { mode: 'expr', term };
}

const KEYWORDS = new Set(['host', 'port', 'not', 'and', 'or', '(', ')']);

function unknownWord(w: string): string {
  return w === '' ? 'an empty word (two "_" in a row, or one at an end)' : `unknown word ${JSON.stringify(w)} (the words are host, port, not, and, or and parentheses)`;
}

/** Splits on `_` and peels the parentheses glued to a word into words of their own. */
function dirWords(expr: string): string[] {
  const words: string[] = [];
  for (const token of expr.split('_')) {
    const [, open, core, close] = /^(\(*)(.*?)(\)*)$/s.exec(token)!;
    for (let k = 0; k < open!.length; k++) words.push('(');
    // A token of parentheses only adds no empty word.
    if (core !== '' || token === '') words.push(core!);
    for (let k = 0; k < close!.length; k++) words.push(')');
  }
  return words;
}

/** `A or B` of two host (or two port) sets is their union: one set lookup per packet instead of a chain. */
function combine(op: 'and' | 'or', l: DirTerm, r: DirTerm): DirTerm {
  if (op === 'or' && 'host' in l && 'host' in r) return { host: [...l.host, ...r.host] };
  if (op === 'or' && 'port' in l && 'port' in r) return { port: [...l.port, ...r.port] };
  return op === 'and' ? { and: [l, r] } : { or: [l, r] };
}

/**
 * Whether any (address, port) satisfies the term. Only membership in the
 * named sets matters, so it is enough to try every named address and one
 * unnamed, against every named port and one unnamed.
 */
function canMatch(term: DirTerm): boolean {
  const addrs = new Set<number>();
  const ports = new Set<number>();
  const collect = (t: DirTerm): void => {
    if ('host' in t) t.host.forEach((a) => addrs.add(a));
    else if ('port' in t) t.port.forEach((p) => ports.add(p));
    else if ('not' in t) collect(t.not);
    else for (const sub of 'and' in t ? t.and : t.or) collect(sub);
  };
  collect(term);
  const unnamed = (named: Set<number>): number => {
    let v = 0;
    while (named.has(v)) v++;
    return v;
  };
  const match = compile(term);
  // An unnamed port may not exist (all 65536 named); 65536 then stands for none, it changes no membership.
  const tryPorts = [...ports, unnamed(ports)];
  return [...addrs, unnamed(addrs)].some((a) => tryPorts.some((p) => match(a, p)));
}

type EndMatch = (addr: number, port: number) => boolean;

/** The term as nested closures, built once per configuration (STYLE 11). */
function compile(t: DirTerm): EndMatch {
  if ('host' in t) {
    const set = new Set(t.host);
    return (addr) => set.has(addr);
  }
  if ('port' in t) {
    const set = new Set(t.port);
    return (_addr, port) => set.has(port);
  }
  if ('not' in t) {
    const m = compile(t.not);
    return (addr, port) => !m(addr, port);
  }
  if ('and' in t) {
    const [l, r] = t.and.map(compile) as [EndMatch, EndMatch];
    return (addr, port) => l(addr, port) && r(addr, port);
  }
  const [l, r] = t.or.map(compile) as [EndMatch, EndMatch];
  return (addr, port) => l(addr, port) || r(addr, port);
}

function hostAddresses(arg: string, resolveNic: (name: string) => string[] | undefined): number[] {
  if (!arg.startsWith('nic.')) {
    const addr = parseIPv4(arg);
    if (addr === null) throw new UserError(`--dir: host ${JSON.stringify(arg)} is not an IPv4 address (a.b.c.d)`);
    return [addr];
  }
  const name = arg.slice('nic.'.length);
  const addrs = resolveNic(name);
  if (addrs === undefined) throw new UserError(`--dir: host ${JSON.stringify(arg)}: no interface named ${JSON.stringify(name)}`);
  if (addrs.length === 0) throw new UserError(`--dir: host ${JSON.stringify(arg)}: interface ${JSON.stringify(name)} has no IPv4 address`);
  return addrs.map((text) => {
    const addr = parseIPv4(text);
    if (addr === null) throw new UserError(`--dir: host ${JSON.stringify(arg)}: interface address ${JSON.stringify(text)} is not IPv4`);
    return addr;
  });
}

function parsePort(arg: string): number {
  const port = /^\d{1,5}$/.test(arg) ? Number(arg) : -1;
  if (port < 0 || port > 65535) throw new UserError(`--dir: port ${JSON.stringify(arg)} is not an integer 0-65535`);
  return port;
}

/** Builds the direction stage once per configuration (STYLE 11), with its own counters; mode none is a no-op function. */
export function makeDirectionStage(spec: DirectionSpec): CountingStage<DirectionCounters> {
  const counters = new DirectionCounters();
  switch (spec.mode) {
    case 'none':
      return { fn: () => {}, counters };
    case 'auto':
      return { fn: dropUnknown(macClassifier(spec.mac), counters), counters };
    case 'expr':
      return { fn: dropUnknown(exprClassifier(compile(spec.term)), counters), counters };
  }
}

/** Direction of packet `i` of a batch: DIR_IN, DIR_OUT or DIR_UNKNOWN. */
type Classifier = (b: Batch, i: number) => number;

function dropUnknown(classify: Classifier, counters: DirectionCounters): BatchFn {
  const { directions } = counters;
  // One closure per stage, not per packet.
  const keep = (i: number, b: Batch): boolean => {
    const dir = classify(b, i);
    b.direction[i] = dir;
    directions[dir + 1]!++;
    return dir !== DIR_UNKNOWN;
  };
  return (batch: Batch) => {
    counters.dropped += batch.retain(keep);
  };
}

/**
 * Source MAC (bytes 6..11) ours → out, anything else → in, whatever the frame
 * carries. Linux cooked frames (`-i any`) have no single MAC to compare: the
 * kernel's packet type says it, outgoing → out, anything else → in.
 */
function macClassifier(mac: Buffer): Classifier {
  if (mac.length !== 6) throw new RangeError(`--dir auto needs the interface's 6-byte MAC, got ${mac.length} bytes`);
  // Read per packet, as two integers (no subarray or Buffer.compare): a live
  // source refreshes the MAC in this buffer at every reopen.
  return (b, i) => {
    const d = b.data[i]!;
    const at = b.offset[i]!;
    const caplen = b.caplen[i]!;
    const linktype = b.linktype[i]!;
    if (linktype === LINKTYPE_LINUX_SLL) return caplen < LINUX_SLL_HEADER_LEN ? DIR_UNKNOWN : d.readUInt16BE(at + SLL_PKTTYPE_OFFSET) === PACKET_OUTGOING ? DIR_OUT : DIR_IN;
    if (linktype === LINKTYPE_LINUX_SLL2) return caplen < LINUX_SLL2_HEADER_LEN ? DIR_UNKNOWN : d[at + SLL2_PKTTYPE_OFFSET] === PACKET_OUTGOING ? DIR_OUT : DIR_IN;
    if (caplen < ETHERNET_HEADER_LEN) return DIR_UNKNOWN;
    return d.readUInt32BE(at + 6) === mac.readUInt32BE(0) && d.readUInt16BE(at + 10) === mac.readUInt16BE(4) ? DIR_OUT : DIR_IN;
  };
}

function exprClassifier(matches: EndMatch): Classifier {
  // Reused for every packet (STYLE 2).
  const outer = new IPv4View();
  const inner = new IPv4View();
  return (b, i) => {
    if (b.etherType[i] !== ETHERTYPE_IPV4) return DIR_UNKNOWN;
    // Offsets into the capture buffer: the frame starts at offset[i] in it.
    const d = b.data[i]!;
    const at = b.offset[i]!;
    const end = at + b.caplen[i]!;
    if (!decodeIPv4(d, at + b.l3Offset[i]!, end, outer)) return DIR_UNKNOWN;
    const v = decodeVxlanInner(d, end, outer, inner) ? inner : outer;
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
