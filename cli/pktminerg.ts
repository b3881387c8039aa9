#!/usr/bin/env node
/** pktminerg: capture, record and forward packets (README "pktminerg"). */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { helpText, parseCommandLine } from '../lib/args.js';
import { Channel, refuseSharedDumpDirs, refuseSharedWriteFiles } from '../lib/channel.js';
import { pinProcess, processCpu } from '../lib/cpu.js';
import { formatListing, gatherListing } from '../lib/list-interfaces.js';
import { startStatusLine, statusText } from '../lib/progress.js';
import { configureLogging, getLogger, reopenLogging, shutdownLogging } from '../lib/log.js';
import { UserError } from '../lib/errors.js';
import { processTotals, StatusPort, statusPortOf } from '../lib/status-port.js';
import type { MetricsServer } from '../lib/metrics.js';
import { becomeAgentUser, lookupAgentUser } from '../lib/privileges.js';
import { StatsReporter } from '../lib/stats.js';
import { setAgentUser } from '../lib/trusted-path.js';
import { runCli } from './run.js';

/** A stop (SIGINT/SIGTERM) drains and flushes within this time, or the process exits anyway. */
const STOP_DEADLINE_MS = 10_000;

runCli('pktminerg', async (argv) => {
  let channels: Channel[] = [];
  // As tcpdump: SIGUSR1 prints the counts so far. Our listener, installed first, also keeps Node from opening
  // its inspector on 127.0.0.1:9229 (its default for SIGUSR1), which would hand a root process to any local user.
  process.on('SIGUSR1', () => {
    for (const c of channels) for (const line of c.summary()) c.log.info(line);
  });
  // As daemons do: SIGHUP reopens the log files (for logrotate) instead of ending the process.
  process.on('SIGHUP', () => {
    reopenLogging().catch((e: Error) => process.stderr.write(`pktminerg: SIGHUP: cannot reopen the log files: ${e.message}\n`));
  });
  const cmd = parseCommandLine(argv);
  if (cmd.help) {
    process.stdout.write(`${await helpText()}\n`);
    return 0;
  }
  if (cmd.version) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`~ pktminerg version ${pkg.version} (packet-agent, node ${process.version})\n`);
    return 0;
  }
  if (cmd.listInterfaces) {
    const listing = gatherListing();
    process.stdout.write(cmd.json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing).map((l) => `${l}\n`).join(''));
    return 0;
  }
  // `-w -` owns standard output: no log line may land in the pcap stream.
  configureLogging(cmd.logConfig, cmd.channels.some((o) => o.write === '-'));
  const log = getLogger('pktminerg');
  // Before any channel opens: threads started from now on (capture, libuv's pool) inherit the CPU.
  const cpu = processCpu(cmd.channels);
  if (cpu !== null) pinProcess(cpu);
  // Every group's remotes stay out of every live capture (spec §2.2).
  const remotes = cmd.channels.flatMap((o) => o.forward?.remotes ?? []);
  channels = cmd.channels.map((o) => new Channel(o, log, remotes));
  refuseSharedDumpDirs(channels);
  refuseSharedWriteFiles(channels);
  // All or nothing: the status port and the metrics endpoint listen first; a group that cannot start stops
  // them and the others, which release what they acquired.
  // -Z: what start-up creates (dump directories, -w files) already belongs to the user the agent becomes.
  const agentUser = cmd.user === null ? null : lookupAgentUser(cmd.user);
  setAgentUser(agentUser);
  const controlPort = statusPortOf(cmd.channels);
  const statusPort = controlPort ? new StatusPort(controlPort, () => processTotals(channels.map((c) => c.snapshot())), log) : null;
  await statusPort?.open();
  let metrics: MetricsServer | null = null;
  if (cmd.metrics) {
    // Loaded only when asked for: prom-client takes about 0.1 s to load.
    const { MetricsServer } = await import('../lib/metrics.js');
    metrics = new MetricsServer(cmd.metrics, () => channels.map((c) => c.snapshot()), log);
    try {
      await metrics.listen();
    } catch (e) {
      await statusPort?.close();
      throw e;
    }
  }
  /** A start-up step failed: everything opened so far is released, nothing keeps running. */
  const rollback = async (): Promise<void> => {
    metrics?.close();
    for (const other of channels) other.destroy();
    await statusPort?.close();
  };
  for (const c of channels) {
    try {
      await c.open();
    } catch (e) {
      await rollback();
      if (e instanceof UserError && channels.length > 1) throw new UserError(`group ${c.opts.index}: ${e.message}`);
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
  if (agentUser) {
    let kept: string[];
    try {
      kept = becomeAgentUser(agentUser, cmd.channels.some((o) => o.source.kind === 'container'));
    } catch (e) {
      await rollback();
      throw e;
    }
    log.info(`running as ${agentUser.name} (uid ${agentUser.uid}, gid ${agentUser.gid}), keeping ${kept.join(', ')}`);
  }

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    log.info(`${sig}: stopping, flushing files (send again to exit at once)`);
    for (const c of channels) c.stop();
    setTimeout(() => {
      log.error(`still flushing after ${STOP_DEADLINE_MS / 1000} s; exiting`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const stopStatus = startStatusLine(() => statusText(channels.map((c) => c.snapshot())), cmd.quiet);
  const stats = cmd.statsInterval > 0 ? new StatsReporter(() => channels.map((c) => c.snapshot()), getLogger('stats'), cmd.statsInterval) : null;
  stats?.start();
  const results = await Promise.allSettled(channels.map((c) => c.run()));
  stats?.stop();
  stopStatus();
  await statusPort?.close();
  let failed = 0;
  results.forEach((r, i) => {
    const c = channels[i]!;
    if (r.status === 'rejected') {
      failed++;
      c.log.error((r.reason as Error).message);
    }
    for (const line of c.summary()) c.log.info(line);
  });
  metrics?.close();
  await shutdownLogging();
  return failed ? 1 : 0;
});
