/**
 * One raw IPv4 socket (the kernel adds the IP header) for the GRE and VXLAN
 * sinks. raw-socket's public send() queues each datagram until the next
 * poll-writable event, one per event-loop turn; its native `wrap.send` is a
 * plain non-blocking sendto(2), so we call that directly (pinned version).
 * A raw socket also gives what Node's dgram cannot: SO_BINDTODEVICE (-B)
 * and IP_MTU_DISCOVER (-M).
 */
import raw, { type Socket } from 'raw-socket';
import { UserError } from '../errors.js';

/** Linux <linux/in.h>: IP_MTU_DISCOVER and its values. */
const IP_MTU_DISCOVER = 10;
const PMTUDISC = { dont: 0, want: 1, do: 2 } as const;

/** sendto(2) failures we tell apart; raw-socket reports only strerror() text. */
const ERRNO_BY_TEXT: Record<string, string> = {
  'No buffer space available': 'ENOBUFS',
  'Resource temporarily unavailable': 'EAGAIN',
  'Message too long': 'EMSGSIZE',
  'No route to host': 'EHOSTUNREACH',
  'Network is unreachable': 'ENETUNREACH',
  'Connection refused': 'ECONNREFUSED',
  'Operation not permitted': 'EPERM',
  'Invalid argument': 'EINVAL',
};

export function errnoOf(e: unknown): string {
  const text = (e as Error)?.message ?? String(e);
  return ERRNO_BY_TEXT[text] ?? text;
}

export interface RawSenderOptions {
  bindDevice: string | null;
  pmtudisc: 'do' | 'dont' | 'want' | null;
}

export class RawIpSender {
  private readonly socket: Socket;
  private readonly done = (): void => {};

  constructor(protocol: number, opts: RawSenderOptions) {
    try {
      this.socket = raw.createSocket({ protocol });
    } catch (e) {
      throw new UserError(`cannot open a raw IP socket (protocol ${protocol}): ${(e as Error).message}; GRE and VXLAN forwarding need root or CAP_NET_RAW`);
    }
    this.socket.on('error', () => {});
    try {
      if (opts.bindDevice !== null) {
        const name = Buffer.from(`${opts.bindDevice}\0`);
        this.socket.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_BINDTODEVICE, name, name.length);
      }
      if (opts.pmtudisc !== null) this.socket.setOption(raw.SocketLevel.IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC[opts.pmtudisc]);
    } catch (e) {
      this.socket.close();
      const what = opts.bindDevice !== null ? `-B ${opts.bindDevice}` : `-M ${opts.pmtudisc}`;
      throw new UserError(`${what}: ${(e as Error).message}`);
    }
  }

  /** Sends `buf[0..length)` to `address`; returns null, or the errno name of the failure. */
  send(buf: Buffer, length: number, address: string): string | null {
    try {
      this.socket.wrap.send(buf, 0, length, address, this.done);
      return null;
    } catch (e) {
      return errnoOf(e);
    }
  }

  close(): void {
    this.socket.close();
  }
}
