/**
 * The part of `cap` 0.2.1 we use, in one place. Facts that shape its use
 * (DESIGN §2): one JS callback per packet into one shared buffer (copy out
 * before returning), no capture timestamp, snaplen fixed at 65535, and an
 * interface that goes down aborts the whole process (an assertion in its
 * poll callback) — which is why pktminerg captures in a child process
 * (capture-child.ts).
 */
import { createRequire } from 'node:module';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, type Packet } from '../packet.js';

export interface CapHandle {
  /** Returns cap's name of the link type; throws Error with libpcap's message. */
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
}

/** cap opens every device with snaplen 65535, so a frame always fits. */
export const CAP_FRAME_BYTES = 65536;
export const CAP_SNAPLEN = 65535;

/** Exit statuses of capture-child.ts: the filter does not compile / the device cannot be opened. */
export const CHILD_EXIT_FILTER = 3;
export const CHILD_EXIT_OPEN = 4;

/** cap's names for the link types it reports, for those decodeLinkLayer reads. */
export const CAP_LINKTYPES: Record<string, number> = { ETHERNET: LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL: LINKTYPE_LINUX_SLL };

/** Loaded on first use only: reading files needs no native addon (and the package ships no types). */
export function loadCap(): { Cap: new () => CapHandle } {
  return createRequire(import.meta.url)('cap') as { Cap: new () => CapHandle };
}

/**
 * cap gives no capture time: stamp at delivery to JS, to the microsecond
 * (immediate mode delivers each frame as soon as the kernel has it).
 * Returns microseconds since the epoch.
 */
export function nowMicros(): number {
  // timeOrigin + now() reads the wall clock finer than Date.now() without a BigInt per packet; µs stay below 2^53.
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export function stampNow(p: Packet): void {
  const us = nowMicros();
  const sec = Math.floor(us / 1e6);
  p.tsSec = sec;
  p.tsNsec = (us - sec * 1e6) * 1000;
}
