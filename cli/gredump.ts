#!/usr/bin/env node
/** gredump: write the Ethernet frames pktminerg sends as GRE to a pcap file (README "Tools"). */
import { gredump } from '../lib/tools/gredump.js';
import type { ToolSpec } from '../lib/tools/receiver.js';
import { runCli, stopOnSignals } from './run.js';

const SPEC: ToolSpec = {
  name: 'gredump',
  usage: [
    'Usage: gredump (-i IFACE | -f FILE) -o OUT.pcap [-k KEY [--key-with-direction]]',
    '               [-s SRC_IP] [-r DST_IP] [-c COUNT]',
    '',
    'Take GRE (IPv4 protocol 47) live from an interface or from a pcap/pcapng file, reassemble IPv4',
    'fragments, and write the Ethernet frames it carries (GRE protocol 0x6558) to a pcap file until',
    'the end of the file, COUNT frames, or SIGINT/SIGTERM; prints the counters at exit.',
  ].join('\n'),
  options: {
    interface: { alias: 'i', type: 'string', describe: "capture live on this interface ('any': all; needs root or CAP_NET_RAW)" },
    pcapfile: { alias: 'f', type: 'string', describe: 'read a pcap or pcapng file instead' },
    output: { alias: 'o', type: 'string', describe: 'write the inner frames to this pcap file (must not exist)' },
    keybit: { alias: 'k', type: 'string', describe: 'keep only this GRE key, decimal or 0x hex (default 0 = any key)' },
    'key-with-direction': { type: 'boolean', describe: 'compare all 32 bits of the key with -k, direction bits included' },
    sourceip: { alias: 's', type: 'string', describe: 'keep only GRE from this IPv4 address' },
    remoteip: { alias: 'r', type: 'string', describe: 'keep only GRE to this IPv4 address' },
    count: { alias: 'c', type: 'string', describe: 'stop after writing N frames (default 0 = no limit)' },
  },
  epilogue: [
    'pktminerg ORs the direction into key bits 31..28 (1 in, 2 out): -k compares bits 27..0 only,',
    'so -k 12 keeps keys 0x0000000C, 0x1000000C and 0x2000000C.',
    'Each frame keeps the capture time of its last fragment; live frames are stamped on arrival.',
  ].join('\n'),
};

runCli(SPEC.name, (argv) => gredump(argv, SPEC, stopOnSignals()));
