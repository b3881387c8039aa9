/**
 * probedaemon's options (spec §10.1): the command line, and the `--config`
 * file of `key=value` lines with the same long names. The command line wins
 * over the file, the file over the defaults. Unlike the reference, an
 * unreadable or untrusted file, an unknown key, a bad `--query` range and a
 * missing environment variable named by `--podname` stop the daemon at once
 * with one line.
 */
import { hostname } from 'node:os';
import type { Options } from 'yargs';
import { refuseRepeated, strictParser } from '../cli-parser.js';
import { DEFAULT_UUID_FILE, int } from '../config.js';
import { UsageError, UserError } from '../errors.js';
import { checkInterfaceName } from '../interface-name.js';
import { readTrustedFile } from '../trusted-path.js';
import type { ManagerTls } from './manager-client.js';

export const DAEMON_OPTIONS: Record<string, Options> = {
  help: { alias: 'h', type: 'boolean', group: 'General:', describe: 'show this help' },
  version: { alias: 'v', type: 'boolean', group: 'General:', describe: 'show the version' },
  config: { type: 'string', group: 'General:', describe: 'read options from FILE: key=value lines with the long names below, # comments; the command line wins' },
  'log-config': { type: 'string', group: 'General:', describe: 'log4js JSON configuration (default: PKTMINERG_LOG_CONFIG, else logconfig.json of the package)' },
  manager: { alias: 'm', type: 'string', group: 'Manager:', describe: 'registration URL of the manager, e.g. https://cpm:9022/api/v1/daemons (required)' },
  platformId: { type: 'string', group: 'Manager:', describe: 'platform id sent at registration (required)' },
  name: { alias: 'n', type: 'string', group: 'Manager:', describe: 'daemon name (default: the host name)' },
  labels: { alias: 'l', type: 'string', group: 'Manager:', describe: 'comma-separated labels' },
  host: { alias: 's', type: 'string', group: 'Manager:', describe: 'host of the service URL reported at registration (default 127.0.0.1; no server is started)' },
  port: { alias: 'p', type: 'string', group: 'Manager:', describe: 'port of the service URL reported at registration (default 9022)' },
  podname: { type: 'string', group: 'Manager:', describe: 'name of an environment variable holding the pod name (sidecar mode)' },
  namespace: { type: 'string', group: 'Manager:', describe: 'with --podname: name of an environment variable holding the namespace' },
  deployEnv: { type: 'string', group: 'Manager:', describe: 'HOST or INSTANCE' },
  includingNICs: { type: 'string', group: 'Manager:', describe: 'comma-separated interfaces: only these are reported at registration' },
  certificate: { alias: 'c', type: 'string', group: 'TLS:', describe: 'PKCS#12 client certificate presented to the manager' },
  password: { type: 'string', group: 'TLS:', describe: 'password of the PKCS#12 file' },
  ca: { type: 'string', group: 'TLS:', describe: "PEM file of the CAs that sign the manager's certificate (default: Node's roots and the system bundle)" },
  insecure: { type: 'boolean', group: 'TLS:', describe: "do not verify the manager's certificate (the reference's behaviour; logged as a warning)" },
  key: { alias: 'k', type: 'string', group: 'TLS:', describe: 'accepted for compatibility, unused (as in the reference)' },
  query: { alias: 'q', type: 'string', group: 'Capture:', describe: 'MIN,MAX: ports for the status port (--control) of each capture process (default 20000,20100)' },
  'uuid-file': { type: 'string', group: 'Capture:', describe: `file of the agent UUID, written from the manager's paUUID when absent; read by ZeroMQ captures (default ${DEFAULT_UUID_FILE})` },
};

export interface PortRange {
  min: number;
  max: number;
}

export interface DaemonOptions {
  help: boolean;
  version: boolean;
  logConfig: string | null;
  manager: URL;
  platformId: string;
  name: string;
  labels: string[];
  /** The `service` URL reported at registration. */
  service: string;
  podName: string | null;
  namespace: string | null;
  deployEnv: 'HOST' | 'INSTANCE' | null;
  includingNICs: string[] | null;
  tls: ManagerTls;
  query: PortRange;
  uuidFile: string;
}

/** The reference's defaults (spec §10.1). */
const DEFAULT_PORT = 9022;
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_QUERY: PortRange = { min: 20000, max: 20100 };

type Raw = Record<string, string | boolean | undefined>;

export function parseDaemonCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonOptions {
  let cmd: Raw;
  try {
    cmd = strictParser().options(DAEMON_OPTIONS).parseSync(argv) as unknown as Raw;
    const extra = (cmd._ as unknown as string[]).length ? (cmd._ as unknown as string[]) : null;
    if (extra) throw new UserError(`unexpected argument '${extra[0]}'`);
    refuseRepeated(cmd);
  } catch (e) {
    if (e instanceof UserError && !(e instanceof UsageError)) throw new UsageError(e.message);
    throw e;
  }
  if (cmd.help || cmd.version) return { ...defaults(), help: cmd.help === true, version: cmd.version === true };
  const file = typeof cmd.config === 'string' ? readConfigFile(cmd.config) : {};
  return checkOptions({ ...file, ...definedOnly(cmd) }, env);
}

function definedOnly(r: Raw): Raw {
  return Object.fromEntries(Object.entries(r).filter(([k, v]) => v !== undefined && k !== '_' && k !== '$0' && k !== 'config'));
}

/** A placeholder for --help/--version, which need no other option. */
function defaults(): DaemonOptions {
  return {
    help: false,
    version: false,
    logConfig: null,
    manager: new URL('http://127.0.0.1/'),
    platformId: '',
    name: '',
    labels: [],
    service: '',
    podName: null,
    namespace: null,
    deployEnv: null,
    includingNICs: null,
    tls: { certificate: null, password: '', ca: null, insecure: false },
    query: DEFAULT_QUERY,
    uuidFile: DEFAULT_UUID_FILE,
  };
}

/** Longest config file read: it is a dozen lines. */
const MAX_CONFIG_BYTES = 64 * 1024;

/**
 * The `key=value` file. It may hold the certificate password and decides
 * what the root daemon talks to, so it must be a regular file of root or the
 * daemon's user that nobody else can change.
 */
export function readConfigFile(path: string): Raw {
  const text = readTrustedFile(path, `config ${path}`, MAX_CONFIG_BYTES).toString('utf8');
  const out: Raw = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq).trim();
    const o = DAEMON_OPTIONS[key];
    if (!o || key === 'config' || key === 'help' || key === 'version') throw new UserError(`config ${path} line ${i + 1}: unknown key '${key}'`);
    if (eq < 0) throw new UserError(`config ${path} line ${i + 1}: expected key=value`);
    const value = line.slice(eq + 1).trim();
    if (o.type === 'boolean') {
      if (!/^(true|false|yes|no|1|0)$/.test(value)) throw new UserError(`config ${path} line ${i + 1}: ${key} is true or false, not '${value}'`);
      out[key] = /^(true|yes|1)$/.test(value);
    } else out[key] = value;
  });
  return out;
}

const str = (r: Raw, key: string): string | undefined => (typeof r[key] === 'string' ? (r[key] as string) : undefined);
const list = (text: string | undefined): string[] => (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

function checkOptions(r: Raw, env: NodeJS.ProcessEnv): DaemonOptions {
  const platformId = str(r, 'platformId');
  if (!platformId) throw new UserError('--platformId is mandatory');
  const managerText = str(r, 'manager');
  if (!managerText) throw new UserError('--manager is mandatory: the registration URL, e.g. http://cpm:9022/api/v1/daemons');
  let manager: URL;
  try {
    manager = new URL(managerText);
  } catch {
    throw new UserError(`--manager ${managerText}: not a URL`);
  }
  if (manager.protocol !== 'http:' && manager.protocol !== 'https:') throw new UserError(`--manager ${managerText}: not an http or https URL`);
  const certificate = str(r, 'certificate') || null;
  const port = int('--port', str(r, 'port'), 1, 65535, DEFAULT_PORT);
  const host = str(r, 'host') || DEFAULT_HOST;
  const deployEnv = str(r, 'deployEnv') || null;
  if (deployEnv !== null && deployEnv !== 'HOST' && deployEnv !== 'INSTANCE') throw new UserError(`--deployEnv ${deployEnv}: expected HOST or INSTANCE`);
  const nics = str(r, 'includingNICs');
  const includingNICs = nics === undefined ? null : list(nics);
  if (includingNICs !== null) {
    if (includingNICs.length === 0) throw new UserError('--includingNICs: no interface named');
    for (const n of includingNICs) checkInterfaceName('--includingNICs', n);
  }
  const podVar = str(r, 'podname');
  const podName = podVar === undefined ? null : fromEnv(env, '--podname', podVar);
  const nsVar = str(r, 'namespace');
  const namespace = podVar !== undefined && nsVar !== undefined ? fromEnv(env, '--namespace', nsVar) : null;
  return {
    help: false,
    version: false,
    logConfig: str(r, 'log-config') ?? null,
    manager,
    platformId,
    name: str(r, 'name') || hostname(),
    labels: list(str(r, 'labels')),
    service: `${certificate ? 'https' : 'http'}://${host}:${port}`,
    podName,
    namespace,
    deployEnv,
    includingNICs,
    tls: { certificate, password: str(r, 'password') ?? '', ca: str(r, 'ca') || null, insecure: r.insecure === true },
    query: parseQuery(str(r, 'query')),
    uuidFile: str(r, 'uuid-file') || DEFAULT_UUID_FILE,
  };
}

function fromEnv(env: NodeJS.ProcessEnv, flag: string, name: string): string {
  const value = env[name];
  if (!value) throw new UserError(`${flag} ${name}: the environment variable ${name} is not set`);
  return value;
}

/** `MIN,MAX`, inclusive; a single port is a range of one (the reference read past its array). */
export function parseQuery(text: string | undefined): PortRange {
  if (text === undefined) return DEFAULT_QUERY;
  const parts = text.split(',');
  if (parts.length > 2) throw new UserError(`--query ${text}: expected MIN,MAX`);
  const min = int('--query', parts[0], 1, 65535, 0);
  const max = int('--query', parts[1] ?? parts[0], 1, 65535, 0);
  if (min > max) throw new UserError(`--query ${text}: ${min} is above ${max}`);
  return { min, max };
}

export const DAEMON_USAGE = 'Usage: probedaemon --manager URL --platformId ID [--config FILE] [OPTIONS]';
export const DAEMON_DESCRIPTION =
  'Register with the CPM manager, run the capture strategies it sends (one pktminerg process per strategy), and report their metrics and logs.';

export async function daemonHelpText(): Promise<string> {
  return strictParser()
    .options(DAEMON_OPTIONS)
    .usage([DAEMON_USAGE, '', DAEMON_DESCRIPTION].join('\n'))
    .example('probedaemon --config /etc/packet-agent/probedaemon.conf', 'run as the service does')
    .example('probedaemon -m https://cpm:9022/api/v1/daemons --platformId p1 --ca /etc/cpm-ca.pem', 'verify the manager with its own CA')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .getHelp();
}
