/**
 * The JSON of the manager protocol (spec §10.4): schemas of what the manager
 * sends, checked with zod before any of it is used, and the bodies the daemon
 * sends. As in the reference, an incoming field counts only when present, not
 * null and not the empty string; unlike it, a field of the wrong type, a
 * number out of range or an array beyond the limits below rejects the whole
 * answer with a reason (the reference crashed), and the daemon carries on
 * with what it had.
 */
import { z } from 'zod';
import type { NetworkInterface } from './host-interfaces.js';

/** Far beyond any real strategy; they bound the work and memory a bad answer can cause. */
export const MAX_STRATEGIES = 64;
export const MAX_TARGETS = 256;
const MAX_TEXT = 4096;
const MAX_BPF = 65536;

/** '' and null are "not set" (spec §10.4 general rules). */
const absent = (v: unknown): unknown => (v === null || v === '' ? undefined : v);
const opt = <T extends z.ZodType>(t: T) => z.preprocess(absent, t.optional());

const int32 = z.number().int().min(-2147483648).max(2147483647);
const uint32 = z.number().int().min(0).max(4294967295);
const text = (max = MAX_TEXT) => z.string().max(max);
/** Target lists: empty names are dropped, as the reference does. */
const targets = opt(z.array(z.string().max(256)).max(MAX_TARGETS).transform((a) => a.filter((s) => s !== '')));

export const PacketAgentDataSchema = z.object({
  containerIds: targets,
  interfaceNames: targets,
  instanceNames: targets,
  packetChannelType: opt(text(64)),
  address: opt(text()),
  port: opt(int32),
  serviceTag: opt(uint32),
  hasServiceTag: opt(z.boolean()),
  bpf: opt(text(MAX_BPF)),
  sliceLen: opt(int32),
  forwardRateLimit: opt(int32),
  capTime: opt(int32),
  reqPatternType: opt(text(64)),
  reqPattern: opt(text()),
  startup: opt(text()),
  dumpDir: opt(text()),
  dumpInterval: opt(int32),
  apiVersion: opt(text(64)),
  observationDomainIds: opt(z.array(uint32).max(MAX_TARGETS)),
  observationPointIds: opt(z.array(z.number().int().min(0).max(255)).max(MAX_TARGETS)),
  extensionFlag: opt(z.number().int().min(0).max(1)),
});
export type PacketAgentData = z.infer<typeof PacketAgentDataSchema>;

/** The strategy answer (spec §10.4 Agent). */
export const AgentSchema = z.object({
  id: opt(int32),
  strategy: opt(z.array(PacketAgentDataSchema).max(MAX_STRATEGIES)),
  cpuLimit: opt(z.number().finite()),
  memLimit: opt(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
  version: opt(int32),
  syncInterval: opt(int32),
});
export type Agent = z.infer<typeof AgentSchema>;

/** The agent UUID the ZeroMQ sink reads: 36 characters, hex and hyphens (spec §5.4). */
const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The registration answer: the Daemon object as the manager completed it; an id is what makes it a success. */
export const RegistrationAnswerSchema = z.object({
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  paUUID: opt(z.string().regex(UUID_TEXT, 'not a UUID (8-4-4-4-12 hex digits)')),
  registerRequestIpAddress: opt(text(256)),
});
export type RegistrationAnswer = z.infer<typeof RegistrationAnswerSchema>;

/** Seconds and the microseconds within them, as every timestamp of the protocol is sent. */
export function epoch(ms: number): { s: number; us: number } {
  const s = Math.floor(ms / 1000);
  return { s, us: Math.round((ms - s * 1000) * 1000) };
}

/** What the reference daemon reports as its version; the manager knows this protocol by it. */
export const CPM_CLIENT_VERSION = '0.8.3';

export interface DaemonBody {
  id?: number;
  name: string;
  podName?: string;
  namespace?: string;
  platformId: string;
  nodeName?: string;
  deployEnv?: string;
  registerRequestIpAddress?: string;
  uuid: string;
  paUUID?: string;
  service: string;
  apiVersion: 'v1';
  supportApiVersions: ['v1'];
  status: 'active';
  startTimestamp: number;
  startMicroTimestamp: number;
  clientVersion: string;
  networkInterfaces: NetworkInterface[];
  labels: { value: string }[];
  syncMode: 'pull';
}

export interface ReportLog {
  logTimestamp: number;
  logMicroTimestamp: number;
  logLevel: string;
  logDetails: string;
}

export interface PacketAgentMetrics {
  samplingTimestamp: number;
  samplingMicroTimestamp: number;
  startTime?: number;
  cpuLoad: number;
  cpuLoadRate: number;
  memUse: number;
  memUseRate: number;
  capBytes: number;
  capPackets: number;
  capDrop: number;
  fwdBytes: number;
  fwdPackets: number;
  capBuff: number;
}

export interface ReportBody {
  logs: ReportLog[];
  metrics?: PacketAgentMetrics;
  pid?: number;
}
