#!/usr/bin/env node
/** vxlandump: receive pktminerg's VXLAN export into a pcap file (README "Tools"). */
import { DEFAULT_VXLAN_PORT } from '../lib/config.js';
import { receiverOptionSpecs, type ToolSpec } from '../lib/tools/receiver.js';
import { vxlandump } from '../lib/tools/vxlandump.js';
import { runCli, stopOnSignals } from './run.js';

const SPEC: ToolSpec = {
  name: 'vxlandump',
  usage: [
    'Usage: vxlandump -o OUT.pcap [--port P] [--bind ADDR] [--vni V] [--capTime] [-c COUNT]',
    '',
    'Receive VXLAN over UDP and write the inner Ethernet frames to a pcap file until SIGINT/SIGTERM',
    'or COUNT packets; prints the counters at exit.',
  ].join('\n'),
  options: {
    ...receiverOptionSpecs(DEFAULT_VXLAN_PORT, '0.0.0.0'),
    vni: { alias: 'n', type: 'string', describe: 'keep only datagrams for this VNI, 0..16777215 (default: all)' },
    capTime: { type: 'boolean', describe: 'datagrams end with the 8-byte capture-time trailer (pktminerg --capTime 1): use its time, write a nanosecond pcap' },
  },
  epilogue: [
    '--vni V keeps a datagram whose 24-bit VNI equals V, or that pktminerg sent with --vni1 V and a',
    'direction (--dir), whose VNI holds the direction in its top 4 bits and the low 12 bits of V.',
    'For pktminerg --vni2 X use --vni floor(X/256), the observation domain (1 for the default 260):',
    'the last header byte, point and direction, is not compared.',
    'Without --capTime each packet gets its receive time.',
  ].join('\n'),
};

runCli(SPEC.name, (argv) => vxlandump(argv, SPEC, stopOnSignals()));
