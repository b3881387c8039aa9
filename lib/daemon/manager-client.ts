/**
 * The HTTP(S) client probedaemon talks to the CPM manager with (spec §10.3):
 * JSON bodies, one deadline for the whole exchange, answers of bounded size,
 * redirects followed as curl -L follows them, and TLS that verifies the
 * manager unless told not to (the reference never verified it).
 *
 * Every failure is one line naming the method and URL, for the daemon's log:
 *   GET http://cpm:9022/api/v1/daemons/3/sync/strategy?version=2: timed out after 5 s
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { describeErrno, UserError } from '../errors.js';
import { PACKAGE_VERSION } from '../version.js';
import { readTrustedFile } from '../trusted-path.js';

export interface ManagerTls {
  /** PKCS#12 client certificate file (--certificate), presented on every https request. */
  certificate: string | null;
  /** Its password (--password), '' if none. */
  password: string;
  /** PEM file of the CAs to verify the manager with (--ca); null: Node's bundled roots plus the system bundle. */
  ca: string | null;
  /** --insecure: no verification of the server's certificate or name (the reference's behaviour). */
  insecure: boolean;
}

export interface ManagerResponse {
  status: number;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

export interface ManagerClientOptions {
  tls: ManagerTls;
  /** For the whole request: connect, TLS, redirects, headers and body. */
  timeoutMs?: number;
  maxBodyBytes?: number;
  maxRedirects?: number;
}

export type ManagerMethod = 'GET' | 'POST';

const USER_AGENT = `probedaemon/${PACKAGE_VERSION}`;

/** Debian's bundle of the CAs the system trusts (package ca-certificates), with the local additions of update-ca-certificates. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** The redirects that keep method and body; a POST follows only these (after a 301-303 it would become a GET the manager never meant). */
const METHOD_KEEPING_REDIRECTS = new Set([307, 308]);

export class ManagerClient {
  private readonly tls: ManagerTls;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxRedirects: number;
  private agents: { 'http:': http.Agent; 'https:': https.Agent } | null = null;

  constructor(o: ManagerClientOptions) {
    this.tls = o.tls;
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.maxBodyBytes = o.maxBodyBytes ?? 8 * 1024 * 1024;
    this.maxRedirects = o.maxRedirects ?? 5;
  }

  /** Reads the certificate files: a bad one is a UserError at start-up, not a failure of every request. */
  open(): void {
    this.agents = {
      // A certificate configured for an http:// manager is simply not used: the URL decides, as with curl --cert.
      'http:': new http.Agent({ keepAlive: true }),
      'https:': new https.Agent({
        keepAlive: true,
        secureContext: secureContext(this.tls),
        // Without verification the name check is skipped too: Node only enforces checkServerIdentity's verdict when rejectUnauthorized is set.
        rejectUnauthorized: !this.tls.insecure,
      }),
    };
  }

  /** Sends `body` as JSON; any status is an answer, only a failed exchange rejects. */
  async request(method: ManagerMethod, url: string, body?: unknown): Promise<ManagerResponse> {
    const agents = this.agents;
    if (agents === null) throw new Error('ManagerClient.request() before open()');
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let current = startUrl(method, url);
    // One timer for all hops: the timeout is for the whole request.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    try {
      for (let redirects = 0; ; redirects++) {
        const answer = await this.exchange(method, current, agents[current.protocol as keyof typeof agents], payload, deadline.signal);
        const location = redirectLocation(method, answer);
        if (location === undefined) return { status: answer.status, body: answer.body, url: current.href };
        if (redirects === this.maxRedirects) throw requestError(method, current, `more than ${this.maxRedirects} redirects`);
        current = redirectUrl(method, current, location);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.agents?.['http:'].destroy();
    this.agents?.['https:'].destroy();
    this.agents = null;
  }

  /** One request and its whole answer, unless `expired` fires first. */
  private exchange(method: ManagerMethod, url: URL, agent: http.Agent, payload: Buffer | undefined, expired: AbortSignal): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const transport = url.protocol === 'https:' ? https : http;
      const req = transport.request(url, { method, agent, headers: requestHeaders(payload) });
      let socket: Socket | undefined;
      // Settling twice is harmless (a promise keeps its first outcome); destroy() makes later events moot.
      const fail = (reason: string): void => {
        expired.removeEventListener('abort', onExpired);
        req.destroy();
        reject(requestError(method, url, reason));
      };
      const onExpired = (): void => fail(`timed out after ${this.timeoutMs / 1000} s`);
      expired.addEventListener('abort', onExpired);
      req.on('socket', (s) => (socket = s));
      req.on('error', (e) => fail(transportReason(e, socket)));
      req.on('response', (res) => {
        const tooLarge = `answer larger than ${formatBytes(this.maxBodyBytes)}`;
        if (Number(res.headers['content-length']) > this.maxBodyBytes) return fail(tooLarge);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBodyBytes) return fail(tooLarge);
          chunks.push(chunk);
        });
        res.on('error', (e) => fail(transportReason(e, socket)));
        res.on('end', () => {
          expired.removeEventListener('abort', onExpired);
          resolve({ status: res.statusCode!, location: res.headers.location, body: Buffer.concat(chunks) });
        });
      });
      req.end(payload);
    });
  }
}

interface Answer {
  status: number;
  location: string | undefined;
  body: Buffer;
}

function requestHeaders(payload: Buffer | undefined): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {
    // On every request, GET included, as the reference sends it.
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
  };
  if (payload !== undefined) headers['Content-Length'] = payload.length;
  return headers;
}

function requestError(method: ManagerMethod, url: URL | string, reason: string): Error {
  return new Error(`${method} ${url instanceof URL ? url.href : url}: ${reason}`);
}

function startUrl(method: ManagerMethod, url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw requestError(method, url, 'not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw requestError(method, url, 'not an http or https URL');
  return parsed;
}

/** Where to go next, or undefined when `answer` is the result. */
function redirectLocation(method: ManagerMethod, answer: Answer): string | undefined {
  const follows = method === 'GET' ? REDIRECTS : METHOD_KEEPING_REDIRECTS;
  return follows.has(answer.status) ? answer.location : undefined;
}

/** The redirect target, resolved against the URL that sent it; refused when it leaves http(s) or drops TLS. */
function redirectUrl(method: ManagerMethod, from: URL, location: string): URL {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw requestError(method, from, `redirect to ${JSON.stringify(location)}, not a URL`);
  }
  if (to.protocol !== 'http:' && to.protocol !== 'https:') throw requestError(method, from, `redirect to ${to.href} refused: not http or https`);
  if (from.protocol === 'https:' && to.protocol === 'http:') throw requestError(method, from, `redirect to ${to.href} refused: https to http would drop TLS`);
  return to;
}

/** Node's words for a failed exchange, on one line; a refused server certificate says so. */
function transportReason(e: Error, socket: Socket | undefined): string {
  // Node destroys the socket with the verification error itself and keeps its code as authorizationError.
  const verifyCode: unknown = socket instanceof tls.TLSSocket ? socket.authorizationError : undefined;
  const err = e as NodeJS.ErrnoException & { reason?: string };
  if (err.code !== undefined && err.code === verifyCode) return `certificate verify failed: ${err.message}`;
  // Node tries every address of a name (happy eyeballs); when all fail it throws an AggregateError with an empty message.
  if (e instanceof AggregateError) return e.errors.map((x: Error) => transportReason(x, socket)).join('; ');
  // An OpenSSL error's message is a multi-line dump; its reason is the words ("tlsv13 alert certificate required").
  return (err.reason ?? err.message).replace(/\s+/g, ' ').trim();
}

function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** A CA bundle or a PKCS#12 file is far smaller; the limit only stops a wrong path from being read whole. */
const MAX_TLS_FILE_BYTES = 8 << 20;

/** --certificate and --ca decide whom the root daemon trusts: read under the rule of configuration files. */
function readOption(flag: string, path: string): Buffer {
  return readTrustedFile(path, `${flag} ${path}`, MAX_TLS_FILE_BYTES);
}

/**
 * The CAs and the client certificate, loaded once: building a context from
 * some 300 CAs takes tens of milliseconds, too much for every connection,
 * and a wrong password is found now.
 */
function secureContext({ certificate, password, ca }: ManagerTls): tls.SecureContext {
  const cas = ca === null ? defaultCas() : readCaFile(ca);
  if (certificate === null) return tls.createSecureContext({ ca: cas });
  const pfx = readOption('--certificate', certificate);
  try {
    return tls.createSecureContext({ ca: cas, pfx, passphrase: password });
  } catch (e) {
    // Not the CAs: OpenSSL skips a damaged one (readCaFile checked --ca's); what fails here is the PKCS#12 file.
    throw new UserError(`--certificate ${certificate}: ${pkcs12Reason(e as NodeJS.ErrnoException)}`);
  }
}

function pkcs12Reason(e: NodeJS.ErrnoException): string {
  if (e.message === 'mac verify failure') return 'wrong password (mac verify failure)';
  if (e.code === 'ERR_CRYPTO_UNSUPPORTED_OPERATION') {
    return `${e.message}: probably the RC2-40 encryption of OpenSSL before 3.0, which OpenSSL 3 no longer loads; re-export it with openssl pkcs12 -export`;
  }
  // Node's own errors ("Unable to load private key from PFX data") carry a code and say what is missing.
  if (e.code !== undefined) return e.message;
  // The rest come from OpenSSL's ASN.1 decoder ("wrong tag", "not enough data"): the bytes are no PKCS#12 structure.
  return `not a PKCS#12 file (${e.message})`;
}

/** The PEM certificates of `path`, each checked: a file of none, or of garbage, would fail every request later. */
function readCaFile(path: string): string[] {
  const pems = pemCertificates(readOption('--ca', path).toString('latin1'));
  if (pems.length === 0) throw new UserError(`--ca ${path}: no certificate in it (expected PEM "BEGIN CERTIFICATE" blocks)`);
  pems.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw new UserError(`--ca ${path}: certificate ${i + 1} is damaged (${(e as Error).message})`);
    }
  });
  return pems;
}

function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Node's bundled roots plus the system's bundle, so that a company CA
 * installed with update-ca-certificates is trusted as curl trusts it: the
 * one file curl reads (tls.getCACertificates('system') reads OpenSSL's
 * certificate directory, every certificate under each of its names: 576
 * for Debian's 144). A `ca` option replaces the bundled roots, hence both.
 */
export function defaultCas(): string[] {
  let system = '';
  try {
    system = readFileSync(SYSTEM_CA_BUNDLE, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`${SYSTEM_CA_BUNDLE}: ${describeErrno(e)}`);
  }
  return [...tls.rootCertificates, ...pemCertificates(system)];
}
