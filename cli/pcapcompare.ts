#!/usr/bin/env node
/** pcapcompare: compare two capture files packet by packet (README "Tools"). */
import { EXIT_DIFFERENT, EXIT_SAME, EXIT_TROUBLE, pcapcompare } from '../lib/tools/pcapcompare.js';
import type { ToolSpec } from '../lib/tools/receiver.js';
import { runCli } from './run.js';

const SPEC: ToolSpec = {
  name: 'pcapcompare',
  usage: [
    'Usage: pcapcompare --lpcap A --rpcap B [--timestamps]',
    '   or: pcapcompare A B [--timestamps]',
    '',
    'Compare two pcap or pcapng files packet by packet: captured length, wire length and captured bytes',
    '(and timestamps with --timestamps). Prints "Compare result 0, Pkt num: N" when they are equal,',
    'else the first difference.',
  ].join('\n'),
  options: {
    lpcap: { type: 'string', describe: 'the first (left) file' },
    rpcap: { type: 'string', describe: 'the second (right) file' },
    timestamps: { type: 'boolean', describe: 'also compare timestamps (to the nanosecond)' },
  },
  epilogue: [
    'Exit status:',
    `  ${EXIT_SAME}  the files hold the same packets`,
    `  ${EXIT_DIFFERENT}  they differ (a packet, or the number of packets)`,
    `  ${EXIT_TROUBLE}  trouble: bad options, or a file is missing, unreadable, truncated or corrupt`,
  ].join('\n'),
};

runCli(SPEC.name, (argv) => pcapcompare(argv, SPEC));
