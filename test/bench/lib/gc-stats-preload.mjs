// gc-stats-preload.mjs - how often, and how long, V8 collected in each node process of the agent
// (packet-agent bench helper).
//
//   NODE_OPTIONS="--import=/abs/path/gc-stats-preload.mjs" GC_STATS_DIR=DIR npm run bench ...
//
// Why: the CPU profile shows "(garbage collector)" on the main thread only; the concurrent marking
// runs on V8's worker threads, and what triggers a major collection (external memory: capture
// buffers, ZeroMQ messages) is what recycling must remove. `--trace-gc` is not allowed in
// NODE_OPTIONS. Each main thread writes DIR/<pid>-gc.json at exit (normal end or process.exit()):
// {"minor": {"n", "ms"}, "major": ..., "incremental": ...}, n collections and their main-thread ms.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.GC_STATS_DIR;
if (dir && isMainThread) {
  mkdirSync(dir, { recursive: true });
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const stats = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const k = kinds[e.detail?.kind] ?? String(e.detail?.kind);
      const s = (stats[k] ??= { n: 0, ms: 0 });
      s.n++;
      s.ms += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(join(dir, `${process.pid}-gc.json`), JSON.stringify(stats) + '\n'));
}
