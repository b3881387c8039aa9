/**
 * From the manager's strategies to pktminerg groups (spec §10.5), pure.
 *
 * Each group is built as the reference builds it, option by option in the
 * same order, but as an array of argv elements handed to the capture process
 * in its `--config` JSON, so a BPF expression with quotes or a dump path with
 * spaces arrives intact (the reference joined everything into one string and
 * split it on spaces). One capture process per strategy, where the reference
 * ran all of them in one process: a strategy that cannot start (a missing
 * interface, a refused option) then fails and is restarted alone.
 */
import { DEFAULT_UUID_FILE } from '../config.js';
import { splitCpmContainer } from '../container-ref.js';
import { splitShellWords } from '../shell-words.js';
import type { Agent, PacketAgentData } from './models.js';

/** -b when the manager sets no memory limit (the reference's value). */
export const DEFAULT_STRATEGY_BUFFER_MIB = 256;
/**
 * What one pktminerg process needs besides its capture buffers (Node, the
 * batches in flight): the measured RSS is 77–113 MB with a 32 MiB ring. The
 * reference gave the whole memLimit to the buffers while its cgroup got
 * 290 MiB less, so a busy capture could only be killed.
 */
export const PROCESS_RESERVE_MIB = 96;
/** The largest -b pktminerg takes (config.ts: the ring size crosses into C as an int of bytes). */
const MAX_BUFFER_MIB = 2047;

const NO_TAG = 4294967295;
const NO_TAG_VXLAN1 = 16777215;

export type ChannelType = 'GRE' | 'ZMQ' | 'VXLAN' | 'FILE';
const CHANNEL_TYPES = new Set<string>(['GRE', 'ZMQ', 'VXLAN', 'FILE']);

/** What one strategy needs, before the control port is known. */
export interface StrategyTargets {
  kind: 'container' | 'interface' | 'kvm';
  names: string[];
}

/** The capture process of one strategy. */
export interface CapturePlan {
  /** 1-based position of the strategy in the manager's list, for log lines. */
  strategy: number;
  /**
   * Equal identities mean the same process: a strategy that did not change
   * keeps running (and its port) when the manager sends a new version.
   */
  identity: string;
  /** The groups of the process, each an argv array, with its status port. */
  groups(controlPort: number): string[][];
}

export interface Plan {
  captures: CapturePlan[];
  /** -b of every group; reported as capBuff. */
  bufferMiB: number;
  /** Strategies left out, and options dropped, each with its reason. */
  problems: string[];
}

/** The targets of a strategy (containers, else interfaces, else the running guests), as the reference ranks them. */
export function targetsOf(s: PacketAgentData, runningGuests: ReadonlySet<string>): StrategyTargets {
  if (s.containerIds?.length) return { kind: 'container', names: s.containerIds };
  if (s.interfaceNames?.length) return { kind: 'interface', names: s.interfaceNames };
  return { kind: 'kvm', names: (s.instanceNames ?? []).filter((n) => runningGuests.has(n)) };
}

/**
 * The buffer of every group: memLimit (MiB, for all capture processes
 * together) less each process's reserve, shared by the groups; null with
 * the reason when it cannot hold them.
 */
export function bufferBudget(memLimit: number, groups: number, processes: number): { bufferMiB: number } | { problem: string } {
  if (memLimit === 0) return { bufferMiB: DEFAULT_STRATEGY_BUFFER_MIB };
  const forBuffers = memLimit - PROCESS_RESERVE_MIB * processes;
  const each = Math.floor(forBuffers / groups);
  if (each < 1) {
    return { problem: `memLimit ${memLimit} MiB cannot hold ${processes} capture process(es) (${PROCESS_RESERVE_MIB} MiB each) and buffers for ${groups} target(s); nothing started` };
  }
  return { bufferMiB: Math.min(each, MAX_BUFFER_MIB) };
}

/** Every strategy the agent carries, as capture processes; `runningGuests`: the KVM guests running now. */
export function planCaptures(agent: Agent, runningGuests: ReadonlySet<string>, uuidFile = DEFAULT_UUID_FILE): Plan {
  const problems: string[] = [];
  const usable: { n: number; s: PacketAgentData; channel: ChannelType; targets: StrategyTargets; extra: string[] }[] = [];
  (agent.strategy ?? []).forEach((s, i) => {
    const n = i + 1;
    const why = (text: string): void => void problems.push(`strategy ${n}: ${text}`);
    const channel = s.packetChannelType ?? '';
    if (!CHANNEL_TYPES.has(channel)) return why(`packetChannelType '${channel}' is not GRE, ZMQ, VXLAN or FILE; skipped`);
    const targets = targetsOf(s, runningGuests);
    if (targets.names.length === 0) {
      return why(s.instanceNames?.length ? `none of its guests (${s.instanceNames.join(', ')}) is running; nothing to capture yet` : 'no containerIds, interfaceNames or instanceNames; skipped');
    }
    if ((channel === 'ZMQ' || channel === 'VXLAN') && s.port === undefined) return why(`${channel} without a port; skipped (the reference sent to port 0)`);
    if (channel !== 'FILE' && s.address === undefined) return why(`${channel} without an address; skipped`);
    if (channel === 'FILE' && s.dumpDir === undefined) return why('FILE without a dumpDir; skipped');
    const startup = s.startup === undefined ? { words: [] } : splitShellWords(s.startup);
    if ('problem' in startup) return why(`startup: ${startup.problem}; skipped`);
    if (s.capTime !== undefined && s.capTime !== 0 && channel !== 'VXLAN') why(`capTime applies to VXLAN only; ignored for ${channel}`);
    usable.push({ n, s, channel: channel as ChannelType, targets, extra: startup.words });
  });
  const groupCount = usable.reduce((sum, u) => sum + groupTargets(u.targets).length, 0);
  if (usable.length === 0) return { captures: [], bufferMiB: 0, problems };
  const budget = bufferBudget(agent.memLimit ?? 0, groupCount, usable.length);
  if ('problem' in budget) return { captures: [], bufferMiB: 0, problems: [...problems, budget.problem] };
  const { bufferMiB } = budget;
  const captures = usable.map(({ n, s, channel, targets, extra }): CapturePlan => ({
    strategy: n,
    identity: JSON.stringify({ s, targets, bufferMiB, uuidFile }),
    groups: (controlPort) =>
      groupTargets(targets).map((target, i) => [...target, ...channelArgs(s, channel, i, uuidFile), ...commonArgs(s, channel, controlPort, bufferMiB, extra)]),
  }));
  return { captures, bufferMiB, problems };
}

/** The source options of each group: `-c ID`, or `-c ID -i ifN` per interface of an `ID_if1_if2`, `-i NAME`, `-m NAME`. */
export function groupTargets(t: StrategyTargets): string[][] {
  if (t.kind === 'interface') return t.names.map((name) => ['-i', name]);
  if (t.kind === 'kvm') return t.names.map((name) => ['-m', name]);
  return t.names.flatMap((id) => {
    // The id is passed as the manager wrote it: pktminerg checks it, and refuses what it must (that strategy alone fails).
    const { container, ifaces } = splitCpmContainer(id);
    return ifaces.length ? ifaces.map((nic) => ['-c', container, '-i', nic]) : [['-c', id]];
  });
}

/** getChannelArg of the reference; `i`: the group's index within its strategy (VXLAN v2 ids). */
export function channelArgs(s: PacketAgentData, channel: ChannelType, i: number, uuidFile: string): string[] {
  const tag = (noTag: number): string => String(s.hasServiceTag && s.serviceTag !== undefined ? s.serviceTag : noTag);
  switch (channel) {
    case 'GRE':
      return ['-k', tag(NO_TAG)];
    case 'ZMQ':
      return ['-k', tag(NO_TAG), '-z', String(s.port), ...(uuidFile === DEFAULT_UUID_FILE ? [] : ['--uuid-file', uuidFile])];
    case 'VXLAN':
      if (s.apiVersion === undefined || s.apiVersion === 'v1') return ['--vni1', tag(NO_TAG_VXLAN1), '-x', String(s.port)];
      return ['--vni2', String(vxlan2Value(s, i)), '-x', String(s.port)];
    case 'FILE':
      return ['--dump', s.dumpDir!, '--interval', String(s.dumpInterval ?? 60), '-k', tag(NO_TAG)];
  }
}

/** The VXLAN v2 header value of group `i`: observation domain << 8 | extension flag << 7 | observation point << 2, in 32 bits as the C++ computed it. */
function vxlan2Value(s: PacketAgentData, i: number): number {
  const domain = s.observationDomainIds?.[i] ?? 1;
  const point = s.observationPointIds?.[i] ?? 1;
  return ((domain << 8) | ((s.extensionFlag ?? 0) << 7) | (point << 2)) >>> 0;
}

/** createParams of the reference: the options every group of the strategy shares, in its order. */
export function commonArgs(s: PacketAgentData, channel: ChannelType, controlPort: number, bufferMiB: number, startup: string[]): string[] {
  const out: string[] = [];
  if (s.address !== undefined) out.push('-r', s.address);
  if (s.bpf !== undefined && s.bpf.trim() !== '') out.push('--expression', s.bpf);
  out.push('--control', String(controlPort), '-b', String(bufferMiB));
  if (s.sliceLen) out.push('--slice', String(s.sliceLen));
  out.push(...startup);
  if (s.forwardRateLimit) out.push('--mbps', String(s.forwardRateLimit));
  if (s.capTime && channel === 'VXLAN') out.push('--capTime', String(s.capTime));
  const dir = directionArg(s);
  if (dir !== null) out.push('--dir', dir);
  return out;
}

/** AUTO → auto; CUSTOM → the pattern with its spaces as '_' (the form --dir takes in one word). */
function directionArg(s: PacketAgentData): string | null {
  if (s.reqPatternType === 'AUTO') return 'auto';
  if (s.reqPatternType === 'CUSTOM' && s.reqPattern !== undefined && s.reqPattern.trim() !== '') return s.reqPattern.trim().replace(/\s+/g, '_');
  return null;
}
