/**
 * Typed face of our native addon `packet_io` (this directory's C files, built
 * by `npm ci` through the package's install script): live capture
 * (pcap_capture.c) and batched raw IPv4 sending (raw_sender.c). Loaded on
 * first use only: reading files and writing dumps need no native code.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

/** Opaque: owned by the addon, valid until close(). */
export type PcapHandle = { readonly __pcapHandle: unique symbol };

export interface PacketIoAddon {
  /** Throws an Error whose `code` is 'FILTER' (the expression does not compile) or 'OPEN'. */
  open(
    device: string,
    filter: string,
    snaplen: number,
    bufferBytes: number,
    timeoutMs: number,
    promisc: boolean,
    onBatch: (records: Buffer) => void,
    onError: (message: string) => void,
  ): {
    handle: PcapHandle;
    linktype: number;
    /** The kernel stamps in nanoseconds; records carry nanoseconds either way (microseconds × 1000). */
    nanos: boolean;
  };
  resume(h: PcapHandle): void;
  pause(h: PcapHandle): void;
  /** What the kernel has handed over and not yet been delivered, as pcap records. */
  drain(h: PcapHandle): Buffer | undefined;
  /** pcap_stats: received, dropped (ring full), dropped by the interface. */
  stats(h: PcapHandle): [number, number, number] | undefined;
  close(h: PcapHandle): void;

  /** A non-blocking raw IPv4 socket; throws an Error with `errno`. pmtudisc -1 leaves IP_MTU_DISCOVER alone. */
  rawOpen(protocol: number, device: string | null, pmtudisc: number): number;
  /**
   * Sends datagrams[start..count) (back to back in `datagrams`) to `address` (IPv4 as uint32).
   * Returns how many went out (the next one met an error), or -errno when the one at `start` failed.
   */
  rawSend(fd: number, datagrams: Buffer, lengths: Uint32Array, start: number, count: number, address: number): number;
  rawClose(fd: number): void;
}

/** libpcap's largest snaplen (MAXIMUM_SNAPLEN): "whole frames". */
export const PCAP_MAX_SNAPLEN = 262144;

/** node-gyp builds into this directory of the source tree; compiled code runs from dist/lib/native/. */
const ADDON = fileURLToPath(new URL('../../../lib/native/build/Release/packet_io.node', import.meta.url));
let addon: PacketIoAddon | null = null;

export function loadAddon(): PacketIoAddon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)(ADDON) as PacketIoAddon;
  } catch (e) {
    throw new UserError(`live capture and GRE/VXLAN forwarding need the native addon ${ADDON} (built by 'npm ci' or 'npm run install'; needs libpcap-dev, make and g++): ${(e as Error).message.split('\n')[0]}`);
  }
  return addon;
}
