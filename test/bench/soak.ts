/**
 * Soak: does anything grow without bound over a long run with rotation and
 * retention? pktminerg reads a pcap stream from standard input (generated
 * here, `RATE` packets/s of 100-byte frames with capture times advancing in
 * real time) and dumps it with `--interval 1 --dump-max-files 5`; every 10 s
 * the agent's RSS and open file descriptors are sampled from /proc.
 *
 *   node dist/test/bench/soak.js [MINUTES=10] [RATE=20000]
 *
 * Prints one line per sample and a last line with first/last/max of each.
 * Not a test (it runs for minutes); the figures go to test/bench/README.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFileHeader, PcapRecordEncoder } from '../../lib/proto/pcap.js';
import { PacketBatch } from '../../lib/packet.js';

const minutes = Number(process.argv[2] ?? 10);
const rate = Number(process.argv[3] ?? 20000);
const agentPath = fileURLToPath(new URL('../../cli/pktminerg.js', import.meta.url));
const dump = mkdtempSync(join(tmpdir(), 'pa-soak-'));
const agent = spawn(process.execPath, [agentPath, '-q', '-f', '-', '--dump', dump, '--interval', '1', '--dump-max-files', '5'], { stdio: ['pipe', 'ignore', 'ignore'] });

agent.stdin.on('error', (e) => {
  process.stderr.write(`the agent stopped reading: ${e.message}\n`);
  process.exit(1);
});

const frame = Buffer.alloc(100, 0x42);
frame.writeUInt16BE(0x0800, 12);
const encoder = new PcapRecordEncoder(false);
agent.stdin.write(encodeFileHeader({ nanos: false, snaplen: 65535, linktype: 1 }));

/** Every 100 ms, a tenth of a second's packets stamped with the current time. */
const feeder = setInterval(() => {
  const now = Date.now();
  const batch = new PacketBatch(rate / 10);
  for (let i = 0; i < rate / 10; i++) batch.add(frame, 0, frame.length, frame.length, Math.floor(now / 1000), (now % 1000) * 1_000_000 + i, 1);
  agent.stdin.write(Buffer.from(encoder.encode(batch)));
}, 100);

const samples: { rssMB: number; fds: number; files: number }[] = [];
const sampler = setInterval(() => {
  const status = readFileSync(`/proc/${agent.pid}/status`, 'utf8');
  const rssMB = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  const fds = readdirSync(`/proc/${agent.pid}/fd`).length;
  const files = readdirSync(join(dump, 'stdin'), { recursive: true }).filter((f) => String(f).endsWith('.pcap')).length;
  samples.push({ rssMB, fds, files });
  process.stdout.write(`${samples.length * 10}s rss ${rssMB.toFixed(1)} MB, fds ${fds}, dump files ${files}\n`);
}, 10_000);

setTimeout(() => {
  clearInterval(feeder);
  clearInterval(sampler);
  agent.stdin.end();
  agent.on('exit', (code) => {
    const stat = (k: 'rssMB' | 'fds' | 'files'): string => {
      const v = samples.map((s) => s[k]);
      return `${k} first ${v[0]?.toFixed(1)} last ${v.at(-1)?.toFixed(1)} max ${Math.max(...v).toFixed(1)}`;
    };
    process.stdout.write(`${minutes} min at ${rate} packets/s, exit ${code}: ${stat('rssMB')}; ${stat('fds')}; ${stat('files')}\n`);
  });
}, minutes * 60_000);
