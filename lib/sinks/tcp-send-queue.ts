/**
 * How many bytes our own TCP connections still hold unacknowledged, per
 * remote. ZeroMQ says nothing about delivery: a send only means "queued".
 * When our connection to a receiver has nothing left unacknowledged,
 * everything ZeroMQ accepted well before that moment reached the receiver's
 * kernel (ZmqSink counts it delivered then). The addon asks each of our
 * sockets (SIOCOUTQ, lib/native/tcp_queues.c) instead of reading the kernel's
 * whole TCP table, whose every read cost a ZeroMQ run ~5 % of its CPU.
 */
import { loadAddon } from '../native/addon.js';

/**
 * Unacknowledged bytes of our established IPv4 connections, by `ip:port` of
 * the remote (summed when several of our connections go there); a remote
 * absent from the map has no established connection of ours.
 */
export function ourTcpSendQueues(): Map<string, number> {
  const queues = new Map<string, number>();
  for (const [remote, bytes] of loadAddon().tcpSendQueues()) queues.set(remote, (queues.get(remote) ?? 0) + bytes);
  return queues;
}
