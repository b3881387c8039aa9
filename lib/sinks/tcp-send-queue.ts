/**
 * How many bytes our own TCP connections still hold unacknowledged, per
 * remote, from the kernel's connection table (/proc/self/net/tcp, the
 * process's network namespace). ZeroMQ says nothing about delivery: a send
 * only means "queued". When our connection to a receiver has nothing left
 * unacknowledged, everything ZeroMQ accepted well before that moment reached
 * the receiver's kernel (ZmqSink counts it delivered then).
 *
 * A line of the table (fields separated by spaces; addresses in hex, the IPv4
 * address as the kernel's 32-bit word printed in host byte order):
 *
 *   sl local_address rem_address   st tx_queue:rx_queue ... uid timeout inode
 *   0: 0100007F:C35A 0100007F:15B3 01 00000000:00000000 ...   0       0 123456
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';

const TCP_ESTABLISHED = '01';

export interface TcpRow {
  /** Dotted IPv4 address and port of the remote end. */
  remote: string;
  established: boolean;
  txQueue: number;
  inode: number;
}

/** One row of /proc/net/tcp text (not the header); `littleEndian`: the host's byte order (how the kernel printed the addresses). Null for a line that is not a row. */
export function parseTcpRow(line: string, littleEndian: boolean): TcpRow | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 10) return null;
  const [ipHex, portHex] = f[2]!.split(':');
  if (ipHex?.length !== 8 || portHex === undefined) return null;
  const word = parseInt(ipHex, 16);
  const bytes = [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
  if (littleEndian) bytes.reverse();
  return {
    remote: `${bytes.join('.')}:${parseInt(portHex, 16)}`,
    established: f[3] === TCP_ESTABLISHED,
    txQueue: parseInt(f[4]!.split(':')[0]!, 16),
    inode: Number(f[9]),
  };
}

/**
 * The rows of /proc/net/tcp text whose socket is one of `inodes`. Each inode is searched for as a
 * word and only the lines it is found on are parsed (and kept when it is that line's inode): a busy
 * host's table has tens of thousands of rows, read every second, of which a sink owns a few.
 */
export function tcpRowsOf(text: string, inodes: ReadonlySet<number>, littleEndian: boolean): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const inode of inodes) {
    const word = ` ${inode} `;
    for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      const row = parseTcpRow(text.slice(start, end < 0 ? text.length : end), littleEndian);
      if (row !== null && row.inode === inode) {
        rows.push(row);
        break;
      }
    }
  }
  return rows;
}

/** Inodes of this process's sockets (the targets of /proc/self/fd/N, `socket:[inode]`). */
function ourSocketInodes(): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // Closed between the listing and the look.
    }
  }
  return inodes;
}

/**
 * Unacknowledged bytes of our established connections, by `ip:port` of the
 * remote (summed when several of our connections go there); a remote absent
 * from the map has no established connection of ours.
 */
export function ourTcpSendQueues(): Map<string, number> {
  const ours = ourSocketInodes();
  const queues = new Map<string, number>();
  if (ours.size === 0) return queues;
  for (const r of tcpRowsOf(readFileSync('/proc/self/net/tcp', 'utf8'), ours, endianness() === 'LE')) {
    if (r.established) queues.set(r.remote, (queues.get(r.remote) ?? 0) + r.txQueue);
  }
  return queues;
}
