#!/usr/bin/env node
/** pktminerg: capture, record and forward packets (README "pktminerg"). */
import { Agent } from '../lib/agent.js';
import { helpText, parseCommandLine } from '../lib/args.js';
import { formatListing, gatherListing } from '../lib/list-interfaces.js';
import { configureLogging, getLogger, shutdownLogging } from '../lib/log.js';
import { reopenLogsOnSighup, runCli, writeVersion } from './run.js';

/** A stop (SIGINT/SIGTERM) drains and flushes within this time, or the process exits anyway. */
const STOP_DEADLINE_MS = 10_000;

runCli('pktminerg', async (argv) => {
  let agent: Agent | null = null;
  // As tcpdump: SIGUSR1 prints the counts so far. Our listener, installed first, also keeps Node from opening
  // its inspector on 127.0.0.1:9229 (its default for SIGUSR1), which would hand a root process to any local user.
  process.on('SIGUSR1', () => agent?.logCounts());
  reopenLogsOnSighup('pktminerg');
  const cmd = parseCommandLine(argv);
  if (cmd.help) {
    process.stdout.write(`${await helpText()}\n`);
    return 0;
  }
  if (cmd.version) {
    writeVersion('pktminerg');
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
  const started = new Agent(cmd, log);
  await started.start();
  agent = started;

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    log.info(`${sig}: stopping, flushing files (send again to exit at once)`);
    started.stop();
    setTimeout(() => {
      log.error(`still flushing after ${STOP_DEADLINE_MS / 1000} s; exiting`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const code = await started.run();
  await shutdownLogging();
  return code;
});
