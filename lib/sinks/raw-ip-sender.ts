/**
 * One raw IPv4 socket (the kernel adds the IP header and fragments) for the
 * GRE and VXLAN sinks, through our addon (lib/native/raw_sender.c): a whole
 * chunk of datagrams goes out in one sendmmsg(2). A raw socket also gives
 * what Node's dgram cannot: SO_BINDTODEVICE (-B) and IP_MTU_DISCOVER (-M).
 */
import { constants } from 'node:os';
import { UserError } from '../errors.js';
import type { TransmitPath } from '../config.js';
import { loadAddon, type PacketIoAddon } from '../native/addon.js';

/** Linux <linux/in.h>: the values of IP_MTU_DISCOVER. */
const PMTUDISC = { dont: 0, want: 1, do: 2 } as const;

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** EAGAIN, EMSGSIZE, … for an errno number. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

export interface RawSenderOptions {
  bindDevice: string | null;
  pmtudisc: 'do' | 'dont' | 'want' | null;
  /** --tx: through the kernel's IP output (this class), or whole frames through AF_PACKET always or while nothing in the IP output would act (PacketSender). */
  tx: TransmitPath;
}

export class RawIpSender {
  private readonly addon: PacketIoAddon;
  private fd: number;

  constructor(protocol: number, opts: RawSenderOptions) {
    this.addon = loadAddon();
    try {
      this.fd = this.addon.rawOpen(protocol, opts.bindDevice, opts.pmtudisc === null ? -1 : PMTUDISC[opts.pmtudisc]);
    } catch (e) {
      const message = (e as Error).message;
      const reason = message.replace(/^(SO_BINDTODEVICE|IP_MTU_DISCOVER): /, '');
      if (message.startsWith('SO_BINDTODEVICE')) throw new UserError(`-B ${opts.bindDevice}: ${reason}`);
      if (message.startsWith('IP_MTU_DISCOVER')) throw new UserError(`-M ${opts.pmtudisc}: ${reason}`);
      const needs = process.platform === 'win32' ? 'an Administrator (elevated) process' : 'root or CAP_NET_RAW';
      throw new UserError(`cannot open a raw IP socket (protocol ${protocol}): ${reason}; GRE and VXLAN forwarding need ${needs}`);
    }
  }

  /**
   * Sends datagrams[start..count) (in `datagrams`, each after the addon's datagramHeadroom bytes,
   * sizes in `lengths`) to `address` (IPv4 as uint32). Returns how many went out from `start`, or -errno when the one at `start` failed.
   */
  send(datagrams: Buffer, lengths: Uint32Array, start: number, count: number, address: number): number {
    return this.addon.rawSend(this.fd, datagrams, lengths, start, count, address);
  }

  close(): void {
    if (this.fd < 0) return;
    this.addon.rawClose(this.fd);
    this.fd = -1;
  }
}
