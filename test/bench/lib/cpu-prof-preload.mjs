// cpu-prof-preload.mjs - CPU profile of EVERY node process of the agent (packet-agent bench helper).
//
//   NODE_OPTIONS="--import=/abs/path/cpu-prof-preload.mjs" CPU_PROF_DIR=DIR node dist/cli/pktminerg.js ...
//
// Why: `node --cpu-prof` is not allowed in NODE_OPTIONS and is not passed to the live-capture child
// (dist/lib/sources/capture-child.js is spawned with process.execPath and no execArgv), but
// NODE_OPTIONS is inherited, so this preload starts the V8 sampling profiler through node:inspector
// in the parent AND the capture child. Each process writes DIR/<pid>-<script>.cpuprofile at exit
// (normal end or process.exit(); not on SIGKILL). Read them with lib/cpuprofile-top.py.
// CPU_PROF_INTERVAL_US (default 1000) sets the sampling interval.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = process.env.CPU_PROF_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.CPU_PROF_INTERVAL_US || 1000) });
  session.post('Profiler.start');
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    // The in-process inspector session answers synchronously, so this works inside 'exit'.
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      const name = `${process.pid}-${basename(process.argv[1] || 'node', '.js')}.cpuprofile`;
      writeFileSync(join(dir, name), JSON.stringify(res.profile));
    });
  });
}
