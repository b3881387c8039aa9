/**
 * probedaemon's work (spec §10.2–10.8): register with the manager, poll it
 * for the strategy, run one supervised pktminerg process per strategy, and
 * report their metrics and the logs since the last report.
 *
 * Where the reference lost ground, this keeps it: a manager that is down,
 * slow, answers 5xx or sends JSON that does not check leaves the captures
 * that run as they are, and the daemon backs off (doubling its wait up to
 * MAX_SYNC_BACKOFF_MS) instead of crashing or stopping them; re-registration
 * after an unexpected status keeps them too. A strategy that did not change
 * keeps its process when the version moves on.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as wait } from 'node:timers/promises';
import { cpus, totalmem } from 'node:os';
import { checkJson } from '../checked-json.js';
import type { Logger } from '../log.js';
import { prefixedLogger } from '../log.js';
import { listKvmGuests } from '../sources/kvm.js';
import { readPaUuid, writeUuidFile } from '../uuid-file.js';
import { CaptureProcess, type Backoff } from './capture-process.js';
import { CaptureCgroup, checkLimits } from './cgroup-limits.js';
import { hostInterfaces } from './host-interfaces.js';
import type { ManagerResponse } from './manager-client.js';
import { AgentSchema, CPM_CLIENT_VERSION, epoch, RegistrationAnswerSchema, type Agent, type DaemonBody, type PacketAgentMetrics, type ReportBody } from './models.js';
import type { DaemonOptions } from './options.js';
import { CpuMeter, queryStatusPort, readRssBytes } from './process-metrics.js';
import { ReportLogBuffer, reportingLogger } from './report-log.js';
import { planCaptures, type CapturePlan } from './strategy.js';

/** The manager-facing part of ManagerClient, so tests can stand in for it. */
export interface ManagerRequests {
  request(method: 'GET' | 'POST', url: string, body?: unknown): Promise<ManagerResponse>;
}

export interface DaemonTimings {
  /** Sync period until the manager sets syncInterval (the reference's 15 s). */
  syncMs: number;
  /** First wait after a failed registration; doubles up to maxRegisterMs. */
  registerRetryMs: number;
  maxRegisterMs: number;
  /** Longest wait between syncs while the manager fails. */
  maxSyncBackoffMs: number;
  captureBackoff?: Backoff;
  stopTimeoutMs?: number;
  /** How long a capture's status port may take to answer a report's query (1 s, as the reference). */
  statusTimeoutMs?: number;
}

export const DEFAULT_TIMINGS: DaemonTimings = { syncMs: 15_000, registerRetryMs: 1000, maxRegisterMs: 60_000, maxSyncBackoffMs: 300_000 };

export interface DaemonDeps {
  manager: ManagerRequests;
  log: Logger;
  /** The program and first arguments that start pktminerg. */
  captureCommand: readonly string[];
  timings?: DaemonTimings;
  /** Names of the running KVM guests (libvirt's run directory by default). */
  runningGuests?: () => ReadonlySet<string>;
}

export class ProbeDaemon {
  private readonly reports = new ReportLogBuffer();
  private readonly log: Logger;
  private readonly timings: DaemonTimings;
  private readonly uuid = randomUUID();
  private readonly cpu = new CpuMeter();
  private startMs = Date.now();
  /** The id the manager gave at the last registration; sent again when registering anew, as the reference did. */
  private id: number | null = null;
  private registered = false;
  private registerFailures = 0;
  private syncFailures = 0;
  private registerRequestIpAddress: string | undefined;
  private paUUID: string | null = null;
  private version = 0;
  private syncMs: number;
  /** The last strategy that checked; what runs follows it. */
  private agent: Agent | null = null;
  private readonly captures = new Map<string, CaptureProcess>();
  private bufferMiB = 0;
  private lastProblems = '';
  private managerProblem: string | null = null;
  private cgroup: CaptureCgroup | null = null;
  private limitsKey = '';
  /** Captures whose status port did not answer the last query: said once until it answers. */
  private readonly silentStatusPorts = new Set<number>();

  constructor(private readonly o: DaemonOptions, private readonly deps: DaemonDeps) {
    this.log = reportingLogger(deps.log, this.reports);
    this.timings = deps.timings ?? DEFAULT_TIMINGS;
    this.syncMs = this.timings.syncMs;
  }

  /** Until `signal` aborts; then every capture is stopped (SIGTERM, SIGKILL after the stop timeout). */
  async run(signal: AbortSignal): Promise<void> {
    this.paUUID = readPaUuid(this.o.uuidFile);
    while (!signal.aborted) {
      let delay: number;
      try {
        delay = this.registered ? await this.sync() : await this.register();
      } catch (e) {
        // A bug of ours must not take the captures down with the daemon: said, and tried again later.
        this.log.error(`internal error, trying again in ${this.syncMs / 1000} s: ${(e as Error).stack ?? String(e)}`);
        delay = this.syncMs;
      }
      // Ends early when `signal` aborts (its rejection is that, and only that).
      await wait(delay, undefined, { signal }).catch(() => {});
    }
    this.log.info(`stopping: ${this.captures.size} capture process(es)`);
    await Promise.all([...this.captures.values()].map((c) => c.stop()));
    this.captures.clear();
    for (const p of (await this.cgroup?.close()) ?? []) this.log.warn(`cgroup: ${p}`);
  }

  private url(path: string): string {
    return `${this.o.manager.href.replace(/\/+$/, '')}/${path}`;
  }

  /** POST the Daemon object; 0 on success (sync at once), else the wait before the next try. */
  private async register(): Promise<number> {
    const retry = (): number => Math.min(this.timings.registerRetryMs * 2 ** this.registerFailures++, this.timings.maxRegisterMs);
    let res: ManagerResponse;
    try {
      res = await this.deps.manager.request('POST', this.o.manager.href, this.daemonBody());
    } catch (e) {
      this.managerDown(`registration failed: ${(e as Error).message}`);
      return retry();
    }
    if (res.status !== 200) {
      this.managerDown(`registration failed: the manager answered ${res.status}`);
      return retry();
    }
    const answer = checkJson(RegistrationAnswerSchema, res.body.toString());
    if (!answer.ok) {
      this.managerDown(`registration answer rejected: ${answer.problem}`);
      return retry();
    }
    this.managerUp();
    this.id = answer.value.id;
    this.registered = true;
    this.registerFailures = 0;
    this.registerRequestIpAddress = answer.value.registerRequestIpAddress ?? this.registerRequestIpAddress;
    if (this.paUUID === null && answer.value.paUUID !== undefined) this.savePaUuid(answer.value.paUUID);
    this.log.info(`registered with ${this.o.manager.href} as daemon ${this.id}`);
    return 0;
  }

  private daemonBody(): DaemonBody {
    const start = epoch(this.startMs);
    const set = <T>(v: T | null | undefined): T | undefined => (v === null || v === '' ? undefined : (v ?? undefined));
    return {
      ...(this.id !== null && { id: this.id }),
      name: this.o.name,
      podName: set(this.o.podName),
      namespace: set(this.o.namespace),
      platformId: this.o.platformId,
      nodeName: set(process.env.HOSTNAME),
      deployEnv: set(this.o.deployEnv),
      registerRequestIpAddress: this.registerRequestIpAddress,
      uuid: this.uuid,
      paUUID: set(this.paUUID),
      service: this.o.service,
      apiVersion: 'v1',
      supportApiVersions: ['v1'],
      status: 'active',
      startTimestamp: start.s,
      startMicroTimestamp: start.us,
      clientVersion: CPM_CLIENT_VERSION,
      networkInterfaces: hostInterfaces(this.o.includingNICs),
      labels: this.o.labels.map((value) => ({ value })),
      syncMode: 'pull',
    };
  }

  /** One sync cycle (spec §10.3 item 2); the wait before the next. */
  private async sync(): Promise<number> {
    const backoff = (): number => Math.min(this.syncMs * 2 ** ++this.syncFailures, this.timings.maxSyncBackoffMs);
    let res: ManagerResponse;
    try {
      res = await this.deps.manager.request('GET', this.url(`${this.id}/sync/strategy?version=${this.version}`));
    } catch (e) {
      this.managerDown(`strategy request failed: ${(e as Error).message}; the captures keep running`);
      return backoff();
    }
    if (res.status === 200) {
      const checked = checkJson(AgentSchema, res.body.toString());
      if (!checked.ok) {
        this.managerDown(`strategy rejected: ${checked.problem}; the captures keep running`);
        return backoff();
      }
      this.managerUp();
      this.syncFailures = 0;
      this.adopt(checked.value);
      await this.reconcile();
      return this.syncMs;
    }
    if (res.status === 304) {
      this.managerUp();
      this.syncFailures = 0;
      await this.reconcile();
      await this.report();
      return this.syncMs;
    }
    this.managerDown(`the manager answered ${res.status} to the strategy request: registering again; the captures keep running`);
    this.registered = false;
    this.startMs = Date.now();
    return 0;
  }

  private adopt(agent: Agent): void {
    this.agent = agent;
    this.version = agent.version ?? 0;
    if (agent.syncInterval !== undefined && agent.syncInterval > 0) this.syncMs = agent.syncInterval * 1000;
    this.log.info(`strategy version ${this.version}: ${agent.strategy?.length ?? 0} strateg${agent.strategy?.length === 1 ? 'y' : 'ies'}, cpuLimit ${agent.cpuLimit ?? 0}, memLimit ${agent.memLimit ?? 0} MiB`);
  }

  /** Makes the running processes those of the last good strategy (and of the KVM guests running now). */
  private async reconcile(): Promise<void> {
    if (this.agent === null) return;
    const guests = this.deps.runningGuests?.() ?? new Set(listKvmGuests().map((g) => g.name));
    const plan = planCaptures(this.agent, guests, this.o.uuidFile);
    const problems = plan.problems.join('\n');
    if (problems !== this.lastProblems) for (const p of plan.problems) this.log.warn(p);
    this.lastProblems = problems;
    this.bufferMiB = plan.bufferMiB;
    this.applyLimits(this.agent);
    const wanted = new Map(plan.captures.map((c) => [c.identity, c]));
    const gone = [...this.captures].filter(([identity]) => !wanted.has(identity));
    for (const [identity] of gone) this.captures.delete(identity);
    await Promise.all(gone.map(([, c]) => c.stop()));
    for (const [identity, plan] of wanted) {
      if (!this.captures.has(identity)) await this.startCapture(identity, plan);
    }
  }

  private async startCapture(identity: string, plan: CapturePlan): Promise<void> {
    const log = prefixedLogger(this.log, `strategy ${plan.strategy}: `);
    const port = await this.freeControlPort();
    if (port === null) {
      log.error(`no free port in --query ${this.o.query.min},${this.o.query.max} for its status port; not started`);
      return;
    }
    const capture = new CaptureProcess({
      command: this.deps.captureCommand,
      groups: plan.groups(port),
      controlPort: port,
      log,
      onSpawn: (pid) => this.limit(pid, log),
      backoff: this.timings.captureBackoff,
      stopTimeoutMs: this.timings.stopTimeoutMs,
    });
    this.captures.set(identity, capture);
    capture.start();
  }

  /** The first port of the --query range that no capture of ours holds and that can be bound now. */
  private async freeControlPort(): Promise<number | null> {
    const ours = new Set([...this.captures.values()].map((c) => c.controlPort));
    for (let port = this.o.query.min; port <= this.o.query.max; port++) {
      if (!ours.has(port) && (await canListen(port))) return port;
    }
    return null;
  }

  /** The cgroup of all captures follows cpuLimit and memLimit; a bad value is logged and not applied. */
  private applyLimits(agent: Agent): void {
    const key = `${agent.cpuLimit ?? 0}/${agent.memLimit ?? 0}`;
    if (key === this.limitsKey) return;
    this.limitsKey = key;
    let limits: ReturnType<typeof checkLimits>;
    try {
      limits = checkLimits(agent.cpuLimit ?? 0, agent.memLimit ?? 0);
    } catch (e) {
      this.log.error(`limits cpuLimit ${agent.cpuLimit ?? 0}, memLimit ${agent.memLimit ?? 0}: ${(e as Error).message}; the captures run without limits`);
      limits = { cpuMax: null, memoryMaxBytes: null };
    }
    if (this.cgroup === null && limits.cpuMax === null && limits.memoryMaxBytes === null) return;
    try {
      if (this.cgroup === null) {
        const cgroup = new CaptureCgroup({ name: `probedaemon-captures-${process.pid}` });
        cgroup.open();
        this.cgroup = cgroup;
        for (const c of this.captures.values()) if (c.pid !== null) cgroup.add(c.pid);
      }
      this.cgroup.apply(limits);
      this.log.info(`limits applied in ${this.cgroup.describe()}: cpuLimit ${agent.cpuLimit ?? 0} CPU, memLimit ${agent.memLimit ?? 0} MiB`);
    } catch (e) {
      this.log.error(`cannot apply the limits: ${(e as Error).message}; the captures run without limits`);
    }
  }

  private limit(pid: number, log: Logger): void {
    try {
      this.cgroup?.add(pid);
    } catch (e) {
      log.error(`cannot put pid ${pid} in ${this.cgroup?.describe()}: ${(e as Error).message}; it runs without limits`);
    }
  }

  /** POST the Report: the logs since the last accepted one, and the captures' metrics while any runs. */
  private async report(): Promise<void> {
    const body: ReportBody = { logs: [] };
    const running = [...this.captures.values()].filter((c) => c.pid !== null);
    if (running.length > 0) {
      body.pid = running[0]!.pid!;
      body.metrics = await this.metricsOf(running);
    }
    body.logs = this.reports.take();
    try {
      const res = await this.deps.manager.request('POST', this.url(`${this.id}/sync/metrics`), body);
      if (res.status >= 300) throw new Error(`the manager answered ${res.status}`);
    } catch (e) {
      this.reports.restore(body.logs);
      this.log.warn(`metrics report failed: ${(e as Error).message}; its log entries go with the next one`);
    }
  }

  /** The sum over the capture processes: CPU and memory from /proc, traffic from their status ports (spec §9). */
  private async metricsOf(running: CaptureProcess[]): Promise<PacketAgentMetrics> {
    // Taken before any wait: a process may end meanwhile, and its handle forgets its pid.
    const procs = running.map((c) => ({ pid: c.pid!, port: c.controlPort, startedAt: c.startedAt }));
    const now = Date.now();
    const sampled = epoch(now);
    let cpuLoad = 0;
    let memUse = 0;
    const traffic = { capBytes: 0, capPackets: 0, capDrop: 0, fwdBytes: 0, fwdPackets: 0 };
    const statuses = await Promise.all(
      procs.map(({ pid, port }) =>
        queryStatusPort(port, this.timings.statusTimeoutMs).then(
          (s) => (this.silentStatusPorts.delete(pid), s),
          (e: Error) => {
            if (!this.silentStatusPorts.has(pid)) this.deps.log.warn(`status port ${port} of pid ${pid}: ${e.message}; its traffic is left out of the metrics`);
            this.silentStatusPorts.add(pid);
            return null;
          },
        ),
      ),
    );
    // What is remembered of processes that ended goes with them.
    const live = new Set(procs.map((p) => p.pid));
    this.cpu.retainOnly(live);
    for (const pid of this.silentStatusPorts) if (!live.has(pid)) this.silentStatusPorts.delete(pid);
    procs.forEach(({ pid }, i) => {
      cpuLoad += this.cpu.sample(pid, now) ?? 0;
      memUse += readRssBytes(pid) ?? 0;
      const s = statuses[i];
      if (!s) return;
      traffic.capBytes += Number(s.capturedBytes);
      traffic.capPackets += Number(s.capturedPackets);
      traffic.capDrop += Number(s.captureDrops);
      traffic.fwdBytes += Number(s.forwardedBytes);
      traffic.fwdPackets += Number(s.forwardedPackets);
    });
    const started = Math.min(...procs.map((p) => p.startedAt ?? now));
    return {
      samplingTimestamp: sampled.s,
      samplingMicroTimestamp: sampled.us,
      ...(started > 0 && { startTime: Math.floor(started / 1000) }),
      cpuLoad,
      cpuLoadRate: cpuLoad / cpus().length,
      memUse,
      memUseRate: memUse / totalmem(),
      ...traffic,
      capBuff: this.bufferMiB,
    };
  }

  /** One line when the manager starts failing (or fails differently), one when it answers again. */
  private managerDown(problem: string): void {
    if (problem !== this.managerProblem) this.log.error(problem);
    this.managerProblem = problem;
  }

  private managerUp(): void {
    if (this.managerProblem !== null) this.log.info('the manager answers again');
    this.managerProblem = null;
  }

  /** The manager's paUUID, for the ZeroMQ captures (spec §5.4); never written through an existing file or link (writeUuidFile). */
  private savePaUuid(paUUID: string): void {
    const path = this.o.uuidFile;
    try {
      writeUuidFile(path, paUUID);
      this.paUUID = paUUID;
      this.log.info(`agent UUID ${paUUID} from the manager written to ${path}`);
    } catch (e) {
      this.log.error(`cannot write the manager's paUUID to ${path}: ${(e as Error).message}; ZeroMQ captures send a zero UUID`);
    }
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
