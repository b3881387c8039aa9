/**
 * One pktminerg process: its channels and the parts that serve the whole
 * process (status port, metrics endpoint, statistics line, live counter,
 * `--cpu`, `-p`, `-Z`). The constructor only builds; start() acquires
 * everything in order and, if any step fails, releases all of it before the
 * error goes on (all or nothing); run() lasts until every channel has ended
 * and printed its summary.
 */
import { setPriority } from 'node:os';
import type { CommandLine } from './args.js';
import { Channel, refuseSharedDumpDirs, refuseSharedWriteFiles, type ChannelLike } from './channel.js';
import { pinProcess, processCpu } from './cpu.js';
import { UserError } from './errors.js';
import { getLogger, type Logger } from './log.js';
import type { MetricsServer } from './metrics.js';
import { becomeAgentUser, lookupAgentUser, type AgentUser } from './privileges.js';
import { startStatusLine, statusText } from './progress.js';
import { StatsReporter } from './stats.js';
import { processTotals, StatusPort, statusPortOf } from './status-port.js';
import { setAgentUser } from './trusted-path.js';
import { WorkerChannel } from './worker-channel.js';

export class Agent {
  readonly channels: ChannelLike[];
  private readonly user: AgentUser | null;
  private statusPort: StatusPort | null = null;
  private metrics: MetricsServer | null = null;

  constructor(private readonly cmd: CommandLine, private readonly log: Logger) {
    // Every group's remotes stay out of every live capture (spec §2.2).
    const remotes = cmd.channels.flatMap((o) => o.forward?.remotes ?? []);
    // --workers N: the channel runs on N threads (worker-channel.ts); the process-wide parts stay here.
    this.channels = cmd.channels.map((o) => (o.workers > 1 ? new WorkerChannel(o, log, remotes) : new Channel(o, log, remotes)));
    refuseSharedDumpDirs(this.channels);
    refuseSharedWriteFiles(this.channels);
    this.user = cmd.user === null ? null : lookupAgentUser(cmd.user);
  }

  async start(): Promise<void> {
    const { cmd, log } = this;
    // Before any channel opens: threads started from now on (capture, libuv's pool) inherit the CPU.
    const cpu = processCpu(cmd.channels);
    if (cpu !== null) pinProcess(cpu);
    // -Z: what start-up creates (dump directories, -w files) already belongs to the user the agent becomes.
    setAgentUser(this.user);
    try {
      const port = statusPortOf(cmd.channels);
      if (port) {
        this.statusPort = new StatusPort(port, () => processTotals(this.snapshots()), log);
        await this.statusPort.open();
      }
      if (cmd.metrics) {
        // Loaded only when asked for: prom-client takes about 0.1 s to load.
        const { MetricsServer } = await import('./metrics.js');
        this.metrics = new MetricsServer(cmd.metrics, () => this.snapshots(), log);
        await this.metrics.listen();
      }
      for (const c of this.channels) {
        try {
          await c.open();
        } catch (e) {
          if (e instanceof UserError && this.channels.length > 1) throw new UserError(`group ${c.opts.index}: ${e.message}`);
          throw e;
        }
      }
      if (cmd.channels.some((o) => o.priority)) {
        try {
          setPriority(-18);
        } catch (e) {
          log.warn(`-p/--priority: cannot raise the priority: ${(e as Error).message}`);
        }
      }
      // Last, after -p: raising the priority needs root too.
      if (this.user) {
        const kept = becomeAgentUser(this.user, cmd.channels.some((o) => o.source.kind === 'container'));
        log.info(`running as ${this.user.name} (uid ${this.user.uid}, gid ${this.user.gid}), keeping ${kept.join(', ')}`);
      }
    } catch (e) {
      await this.release();
      throw e;
    }
  }

  /** Until every channel ends (input over, --count, stop()); logs each summary; the exit status. */
  async run(): Promise<number> {
    const { cmd } = this;
    const stopStatus = startStatusLine(() => statusText(this.snapshots()), cmd.quiet);
    const stats = cmd.statsInterval > 0 ? new StatsReporter(() => this.snapshots(), getLogger('stats'), cmd.statsInterval) : null;
    stats?.start();
    const results = await Promise.allSettled(this.channels.map((c) => c.run()));
    stats?.stop();
    stopStatus();
    await this.statusPort?.close();
    let failed = 0;
    results.forEach((r, i) => {
      const c = this.channels[i]!;
      if (r.status === 'rejected') {
        failed++;
        c.log.error((r.reason as Error).message);
      }
      this.logSummary(c);
    });
    this.metrics?.close();
    return failed ? 1 : 0;
  }

  /** Graceful stop (SIGINT/SIGTERM): sources end, everything read so far is written. */
  stop(): void {
    for (const c of this.channels) c.stop();
  }

  /** Every channel's counts so far (SIGUSR1). */
  logCounts(): void {
    for (const c of this.channels) this.logSummary(c);
  }

  private logSummary(c: ChannelLike): void {
    for (const line of c.summary()) c.log.info(line);
  }

  private snapshots() {
    return this.channels.map((c) => c.snapshot());
  }

  /** A start-up step failed: everything opened so far is released, nothing keeps running. */
  private async release(): Promise<void> {
    this.metrics?.close();
    for (const c of this.channels) c.destroy();
    await this.statusPort?.close();
  }
}
