#!/usr/bin/env node
/** zmqdump: receive pktminerg's ZeroMQ export into a pcap file (README "Tools"). */
import { receiverOptionSpecs, type ToolSpec } from '../lib/tools/receiver.js';
import { zmqdump } from '../lib/tools/zmqdump.js';
import { runCli, stopOnSignals } from './run.js';

const SPEC: ToolSpec = {
  name: 'zmqdump',
  usage: [
    'Usage: zmqdump --port P -o OUT.pcap [--bind ADDR] [-c COUNT]',
    '',
    'Receive ZeroMQ batches (format version 2 of cloud-probe, and legacy version 1) on a PULL socket',
    'and write the frames, MPLS label removed and EtherType restored, to a pcap file until',
    'SIGINT/SIGTERM or COUNT packets; prints the counters, by direction too, at exit.',
  ].join('\n'),
  options: receiverOptionSpecs(null, 'all addresses, tcp://*:P'),
};

runCli(SPEC.name, (argv) => zmqdump(argv, SPEC, stopOnSignals()));
