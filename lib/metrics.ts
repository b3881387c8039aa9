/**
 * `--metrics [ADDR:]PORT`: the channels' counters in the Prometheus text
 * format at http://ADDR:PORT/metrics (README "Prometheus metrics"). Each
 * scrape takes one snapshot of every channel and sets every series from it,
 * so the numbers of one scrape are of one moment; a series whose label
 * values went away (a drop reason, a channel) disappears with the next
 * scrape. The process metrics are prom-client's default ones (process_*,
 * nodejs_*), unprefixed, as dashboards for Node services expect them.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ListenAddress } from './args.js';
import type { ChannelSnapshot } from './channel.js';
import { UserError } from './errors.js';
import type { Logger } from './log.js';

export const METRICS_PATH = '/metrics';

const CHANNEL = ['channel', 'source'] as const;
const SINK = [...CHANNEL, 'sink'] as const;

/** Our own registry with our series; totals are counters (`_total`), states are gauges. */
export class ChannelMetrics {
  readonly registry = new Registry();
  private readonly counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `pktminerg_${name}`, help, labelNames, registers: [this.registry] });
  private readonly gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: `pktminerg_${name}`, help, labelNames, registers: [this.registry] });

  private readonly capturedPackets = this.counter('captured_packets_total', 'Packets the source delivered.', CHANNEL);
  private readonly capturedBytes = this.counter('captured_bytes_total', 'Bytes (original frame length) the source delivered.', CHANNEL);
  private readonly lastPacket = this.gauge('last_packet_timestamp_seconds', 'Capture time of the latest packet (0 before the first).', CHANNEL);
  private readonly kernelReceived = this.counter('kernel_received_packets_total', 'Live capture: packets the kernel passed the filter (pcap_stats ps_recv).', CHANNEL);
  private readonly kernelDropped = this.counter('kernel_dropped_packets_total', 'Live capture: packets the kernel dropped, capture ring full (pcap_stats ps_drop).', CHANNEL);
  private readonly interfaceDropped = this.counter('interface_dropped_packets_total', 'Live capture: packets the interface dropped, where it reports them (pcap_stats ps_ifdrop).', CHANNEL);
  private readonly linkUp = this.gauge('interface_up', 'Live capture: 1 while the interface (container, guest tap) is up, 0 while it is down or absent.', CHANNEL);
  private readonly dropped = this.counter('dropped_packets_total', 'Packets a channel stage dropped, by reason (direction unknown, throttled, link type).', [...CHANNEL, 'reason']);
  private readonly sinkPackets = this.counter('sink_packets_total', 'Packets a sink wrote (dump, -w) or delivered (gre, vxlan, zmq).', SINK);
  private readonly sinkBytes = this.counter('sink_bytes_total', 'Bytes a sink wrote (pcap records) or delivered (datagrams, ZeroMQ messages).', SINK);
  private readonly sinkDropped = this.counter('sink_dropped_packets_total', 'Packets a sink could not write or deliver, by reason.', [...SINK, 'reason']);
  // A gauge: a file that ends empty is removed and uncounted, so the count can go down.
  private readonly dumpFiles = this.gauge('dump_files', 'Dump files written, the one being written included.', SINK);
  private readonly zmqQueued = this.gauge('zmq_queued_batches', 'ZeroMQ batches queued and not yet confirmed delivered.', SINK);
  private readonly kernelPath = this.counter(
    'sink_kernel_path_packets_total',
    "GRE/VXLAN with --tx auto (the default) or packet: of the packets delivered, those sent through the kernel's IP output (netfilter, IPsec or a cgroup program set up under auto, no frame could be built, over the MTU, one per route look-up).",
    SINK,
  );
  private readonly all = [
    this.capturedPackets, this.capturedBytes, this.lastPacket, this.kernelReceived, this.kernelDropped, this.interfaceDropped, this.linkUp,
    this.dropped, this.sinkPackets, this.sinkBytes, this.sinkDropped, this.dumpFiles, this.zmqQueued, this.kernelPath,
  ];

  constructor(private readonly snapshots: () => ChannelSnapshot[]) {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The text format, every series set from one snapshot taken now. */
  async render(): Promise<string> {
    for (const m of this.all) m.reset();
    for (const s of this.snapshots()) this.set(s);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private set(s: ChannelSnapshot): void {
    const ch = { channel: String(s.index), source: s.name };
    // A counter has no set(): after reset(), inc() by the total sets it.
    this.capturedPackets.inc(ch, s.captured.packets);
    this.capturedBytes.inc(ch, s.captured.bytes);
    this.lastPacket.set(ch, s.lastPacketSec);
    this.kernelReceived.inc(ch, s.kernel.received);
    this.kernelDropped.inc(ch, s.kernel.dropped);
    this.interfaceDropped.inc(ch, s.kernel.interfaceDropped);
    if (s.linkState !== undefined) this.linkUp.set(ch, s.linkState === 'up' ? 1 : 0);
    for (const k of s.sinks) {
      const sink = { ...ch, sink: k.label };
      this.sinkPackets.inc(sink, k.packets);
      this.sinkBytes.inc(sink, k.bytes);
      if (k.files !== undefined) this.dumpFiles.set(sink, k.files);
      if (k.queued !== undefined) this.zmqQueued.set(sink, k.queued);
      if (k.kernelPath !== undefined) this.kernelPath.inc(sink, k.kernelPath);
    }
    for (const d of s.drops) {
      // Sink reasons come as `<sink label>: <reason>` (ChannelSnapshot.drops): split into the two labels.
      const k = s.sinks.find((k) => d.reason.startsWith(`${k.label}: `));
      if (k) this.sinkDropped.inc({ ...ch, sink: k.label, reason: d.reason.slice(k.label.length + 2) }, d.packets);
      else this.dropped.inc({ ...ch, reason: d.reason }, d.packets);
    }
  }
}

/** The HTTP endpoint: GET /metrics, nothing else. Started by listen(), a step that can fail; ended by close(). */
export class MetricsServer {
  readonly metrics: ChannelMetrics;
  private readonly server: Server;

  constructor(private readonly address: ListenAddress, snapshots: () => ChannelSnapshot[], private readonly log: Logger) {
    this.metrics = new ChannelMetrics(snapshots);
    this.server = createServer((req, res) => void this.serve(req, res));
  }

  /** Listens, and logs the URL (with the port the system picked for port 0); a port in use is a UserError. */
  async listen(): Promise<void> {
    const { host, port } = this.address;
    this.server.listen(port, host);
    try {
      await once(this.server, 'listening');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'address in use' : code === 'EADDRNOTAVAIL' ? 'not an address of this host' : (e as Error).message;
      throw new UserError(`--metrics ${host}:${port}: cannot listen: ${why}`);
    }
    this.log.info(`metrics on ${this.url}`);
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}${METRICS_PATH}`;
  }

  /** Stops listening and ends kept-alive connections, which would otherwise keep the process running. */
  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH) return reply(res, 404, 'not found: the metrics are at /metrics\n');
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return reply(res, 405, 'method not allowed: GET /metrics\n');
    }
    try {
      const body = await this.metrics.render();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType });
      res.end(body);
    } catch (e) {
      this.log.error(`metrics: ${(e as Error).message}`);
      reply(res, 500, 'internal error\n');
    }
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
