/**
 * GRE as it arrives in namespace b of a pair, recorded by tcpdump and decoded
 * afterwards with `gredump -f`: the live tests' receiver, which takes bursts
 * a capture by gredump -i could not (README, "Limits of the capture binding").
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { collect, runCli, startProcess, waitForStderr, type CliResult } from './cli.js';
import type { Pair } from './netns.js';
import { tmp } from './tmp.js';

export interface GreWire {
  /** What tcpdump records: the GRE datagrams as they arrived. */
  wire: string;
  /** Where finish() has gredump write the inner frames. */
  out: string;
  /** Stops tcpdump, then runs `gredump -f wire -o out`; resolves with gredump's result. */
  finish(): Promise<CliResult>;
}

/** Starts recording GRE on b's end of the pair; resolves once tcpdump listens. */
export async function recordGre(t: TestContext, net: Pair): Promise<GreWire> {
  const dir = tmp();
  const wire = join(dir, 'wire.pcap');
  const out = join(dir, 'out.pcap');
  const capture = startProcess(t, 'tcpdump', ['-i', net.ifB, '-B', '65536', '--immediate-mode', '-n', '-U', '-w', wire, 'ip proto 47'], { netns: net.b });
  const captured = collect(capture);
  await waitForStderr(capture, /listening on/);
  return {
    wire,
    out,
    async finish() {
      capture.kill('SIGTERM');
      await captured;
      return runCli(t, 'gredump', ['-f', wire, '-o', out]);
    },
  };
}
