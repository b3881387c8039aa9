/**
 * A test manager playing CPM as probedaemon sees it (spec §10.3, §10.4):
 * registration hands out ids 1, 2, …; the strategy GET answers 304 while the
 * daemon has the current version and the Agent object otherwise; metrics
 * posts are accepted. Every request is recorded, and the next answers of a
 * route can be scripted (errors, malformed or huge bodies, slow answers,
 * redirects).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';

const BASE = '/api/v1/daemons';
const STRATEGY = /^\/api\/v1\/daemons\/(\d+)\/sync\/strategy$/;
const METRICS = /^\/api\/v1\/daemons\/(\d+)\/sync\/metrics$/;

/** The example strategy of spec §10.5 item 7 (with memLimit 512 it is the reference's golden argument list). */
export const SPEC_EXAMPLE_STRATEGY = {
  interfaceNames: ['eth0'],
  packetChannelType: 'GRE',
  address: '10.1.1.1',
  hasServiceTag: true,
  serviceTag: 12,
  bpf: 'tcp port 80',
  sliceLen: 128,
  forwardRateLimit: 100,
  reqPatternType: 'CUSTOM',
  reqPattern: 'host 10.0.0.5 and port 80',
};

export const DEFAULT_PA_UUID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The raw body. */
  body: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** Subject CN of the client certificate, when the manager asks for one. */
  clientCert?: string;
}

export type Route = 'register' | 'strategy' | 'metrics';

export interface ScriptedAnswer {
  status: number;
  /** A string is sent as is (malformed JSON, say); anything else as JSON. */
  body?: string | object;
  /** Wait this long before answering (a slow or silent manager). */
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface ManagerTlsOptions {
  /** Paths of PEM files (as makePki gives them). */
  key: string;
  cert: string;
  ca?: string;
  /** Refuse clients without a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

export interface TestManager {
  /** The registration URL, as --manager takes it. */
  url: string;
  requests: RecordedRequest[];
  /** What strategy GETs answer (with `version` and `syncInterval` added); set it with setAgent to make daemons fetch it. */
  agent: Record<string, unknown>;
  /** The current strategy version; a GET with another `version` gets the Agent object. */
  version: number;
  /** Sent in the Agent object when set. */
  syncInterval: number | undefined;
  /** Handed out at registration. */
  paUUID: string;
  /** Replaces the strategy and bumps its version. */
  setAgent(agent: Record<string, unknown>): void;
  /** The next `times` requests of `route` get `answer` instead of CPM's. */
  answerNext(route: Route, answer: ScriptedAnswer, times?: number): void;
  /** The first request, recorded or still to come, that matches; rejects after `ms` listing what was recorded. */
  waitFor(predicate: (r: RecordedRequest) => boolean, ms: number): Promise<RecordedRequest>;
}

/** Starts a manager on 127.0.0.1 (a free port), closed when `t` ends with any connection still open. */
export async function startTestManager(t: TestContext, opts: { tls?: ManagerTlsOptions } = {}): Promise<TestManager> {
  const scripts = new Map<Route, ScriptedAnswer[]>();
  const waiters = new Set<(r: RecordedRequest) => void>();
  const timers = new Set<NodeJS.Timeout>();
  let registrations = 0;

  const manager: TestManager = {
    url: '',
    requests: [],
    agent: {},
    version: 1,
    syncInterval: undefined,
    paUUID: DEFAULT_PA_UUID,
    setAgent(agent) {
      manager.agent = agent;
      manager.version++;
    },
    answerNext(route, answer, times = 1) {
      const queue = scripts.get(route) ?? [];
      for (let i = 0; i < times; i++) queue.push(answer);
      scripts.set(route, queue);
    },
    waitFor(predicate, ms) {
      const seen = manager.requests.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = (r: RecordedRequest): void => {
          if (!predicate(r)) return;
          done();
          resolve(r);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching request within ${ms} ms; recorded: ${describe(manager.requests)}`));
        }, ms);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
      });
    },
  };

  /** CPM's own answer to a request no script took. */
  function cpmAnswer(route: Route | undefined, id: number, r: RecordedRequest): ScriptedAnswer {
    if (route === 'register') {
      const name = (r.json as { name?: unknown } | undefined)?.name;
      return { status: 200, body: { name, id: ++registrations, paUUID: manager.paUUID } };
    }
    if (route === undefined || id < 1 || id > registrations) return { status: 404, body: { message: `no such daemon or path: ${r.method} ${r.path}` } };
    if (route === 'metrics') return { status: 200, body: {} };
    if (r.query.get('version') === String(manager.version)) return { status: 304 };
    const interval = manager.syncInterval === undefined ? {} : { syncInterval: manager.syncInterval };
    return { status: 200, body: { ...manager.agent, version: manager.version, ...interval } };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded = record(req, Buffer.concat(chunks).toString());
    manager.requests.push(recorded);
    for (const waiter of waiters) waiter(recorded);
    const [route, id] = routeOf(recorded);
    const answer = (route && scripts.get(route)?.shift()) || cpmAnswer(route, id, recorded);
    const send = (): void => {
      const body = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers }).end(body);
    };
    if (answer.delayMs === undefined) return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, answer.delayMs);
    timers.add(timer);
  }

  // A client that hangs up in the middle of its request gets no answer.
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => void handle(req, res).catch(() => res.destroy());
  const server = opts.tls === undefined ? http.createServer(listener) : https.createServer(serverTlsOptions(opts.tls), listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const scheme = opts.tls === undefined ? 'http' : 'https';
  manager.url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}${BASE}`;
  t.after(async () => {
    for (const timer of timers) clearTimeout(timer);
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
  });
  return manager;
}

function serverTlsOptions(o: ManagerTlsOptions): https.ServerOptions {
  return {
    key: readFileSync(o.key),
    cert: readFileSync(o.cert),
    ca: o.ca === undefined ? undefined : readFileSync(o.ca),
    requestCert: o.requireClientCert ?? false,
    rejectUnauthorized: o.requireClientCert ?? false,
  };
}

function record(req: http.IncomingMessage, body: string): RecordedRequest {
  const url = new URL(req.url!, 'http://manager');
  const recorded: RecordedRequest = { method: req.method!, path: url.pathname, query: url.searchParams, headers: req.headers, body, json: parseJson(body) };
  const cn = (req.socket as Partial<TLSSocket>).getPeerCertificate?.().subject?.CN;
  if (cn !== undefined) recorded.clientCert = String(cn); // an array when the subject has several CNs
  return recorded;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The route of a request and the daemon id in its path (0 for registration and unknown paths). */
function routeOf(r: RecordedRequest): [Route | undefined, number] {
  if (r.method === 'POST' && r.path === BASE) return ['register', 0];
  const strategy = r.method === 'GET' ? STRATEGY.exec(r.path) : null;
  if (strategy) return ['strategy', Number(strategy[1])];
  const metrics = r.method === 'POST' ? METRICS.exec(r.path) : null;
  if (metrics) return ['metrics', Number(metrics[1])];
  return [undefined, 0];
}

function describe(requests: RecordedRequest[]): string {
  if (requests.length === 0) return 'nothing';
  return requests.map((r) => `${r.method} ${r.path}${r.query.size > 0 ? `?${r.query}` : ''} ${r.body}`).join(' | ');
}
