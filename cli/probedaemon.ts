#!/usr/bin/env node
/** probedaemon: the CPM management daemon (README "probedaemon"). */
import { fileURLToPath } from 'node:url';
import { ProbeDaemon } from '../lib/daemon/daemon.js';
import { ManagerClient } from '../lib/daemon/manager-client.js';
import { daemonHelpText, parseDaemonCommandLine } from '../lib/daemon/options.js';
import { configureLogging, getLogger, shutdownLogging } from '../lib/log.js';
import { reopenLogsOnSighup, runCli, stopOnSignals, writeVersion } from './run.js';

/** pktminerg of the same installation, run by the same Node. */
const PKTMINERG = [process.execPath, fileURLToPath(new URL('./pktminerg.js', import.meta.url))];

runCli('probedaemon', async (argv) => {
  reopenLogsOnSighup('probedaemon');
  // Ours, so that SIGUSR1 does not open Node's inspector in a root process.
  process.on('SIGUSR1', () => {});
  const o = parseDaemonCommandLine(argv);
  if (o.help) {
    process.stdout.write(`${await daemonHelpText()}\n`);
    return 0;
  }
  if (o.version) {
    writeVersion('probedaemon');
    return 0;
  }
  configureLogging(o.logConfig);
  const log = getLogger('probedaemon');
  const manager = new ManagerClient({ tls: o.tls });
  manager.open();
  if (o.tls.insecure) log.warn(`--insecure: the certificate of ${o.manager.host} is not verified; anyone on the path can pose as the manager`);
  const stop = stopOnSignals();
  stop.addEventListener('abort', () => log.info(`${String(stop.reason)}: stopping the captures`));
  log.info(`probedaemon ${process.pid}: manager ${o.manager.href}, platform ${o.platformId}, name ${o.name}`);
  await new ProbeDaemon(o, { manager, log, captureCommand: PKTMINERG }).run(stop);
  manager.close();
  await shutdownLogging();
  return 0;
});
