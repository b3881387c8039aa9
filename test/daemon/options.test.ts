/** probedaemon's command line and --config file (spec §10.1). */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseDaemonCommandLine, parseQuery } from '../../lib/daemon/options.js';

function configFile(t: TestContext, text: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-daemon-conf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'probedaemon.conf');
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}

const REQUIRED = ['--manager', 'http://cpm:9022/api/v1/daemons', '--platformId', 'p1'];

test('defaults of the reference; the service URL from --host/--port, https with a certificate', () => {
  const o = parseDaemonCommandLine(REQUIRED, {});
  assert.equal(o.manager.href, 'http://cpm:9022/api/v1/daemons');
  assert.equal(o.name, hostname());
  assert.equal(o.service, 'http://127.0.0.1:9022');
  assert.deepEqual(o.query, { min: 20000, max: 20100 });
  assert.deepEqual(o.labels, []);
  assert.deepEqual(o.tls, { certificate: null, password: '', ca: null, insecure: false });
  assert.equal(o.uuidFile, '/usr/local/bin/uuid');
  const tls = parseDaemonCommandLine([...REQUIRED, '-c', '/etc/c.p12', '--password', 'pw', '-s', '10.0.0.2', '-p', '443', '-l', 'a, b,,c', '--insecure'], {});
  assert.equal(tls.service, 'https://10.0.0.2:443');
  assert.deepEqual(tls.tls, { certificate: '/etc/c.p12', password: 'pw', ca: null, insecure: true });
  assert.deepEqual(tls.labels, ['a', 'b', 'c']);
});

test('the config file: key=value with the long names, # comments; the command line wins', (t) => {
  const path = configFile(t, '# probedaemon\nmanager = https://cpm/api/v1/daemons\nplatformId=p9\nquery=30000,30010\nname=from-file\ninsecure=true\n\nlabels=x,y\n');
  const o = parseDaemonCommandLine(['--config', path, '--name', 'from-cli'], {});
  assert.equal(o.manager.href, 'https://cpm/api/v1/daemons');
  assert.equal(o.platformId, 'p9');
  assert.deepEqual(o.query, { min: 30000, max: 30010 });
  assert.equal(o.name, 'from-cli');
  assert.equal(o.tls.insecure, true);
  assert.deepEqual(o.labels, ['x', 'y']);
});

test('bad input is one line naming what is wrong', (t) => {
  const err = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    try {
      parseDaemonCommandLine(argv, env);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  assert.equal(err(['--manager', 'http://x/']), '--platformId is mandatory');
  assert.equal(err(['--platformId', 'p']), '--manager is mandatory: the registration URL, e.g. http://cpm:9022/api/v1/daemons');
  assert.equal(err(['--platformId', 'p', '--manager', 'ftp://x/']), '--manager ftp://x/: not an http or https URL');
  assert.equal(err([...REQUIRED, '--bogus']), 'Unknown argument: bogus (try --help)');
  assert.equal(err([...REQUIRED, 'extra']), "unexpected argument 'extra' (try --help)");
  assert.equal(err([...REQUIRED, '--deployEnv', 'CLOUD']), '--deployEnv CLOUD: expected HOST or INSTANCE');
  assert.equal(err([...REQUIRED, '--query', '20100,20000']), '--query 20100,20000: 20100 is above 20000');
  assert.equal(err([...REQUIRED, '--podname', 'MY_POD']), '--podname MY_POD: the environment variable MY_POD is not set');
  assert.equal(err([...REQUIRED, '--includingNICs', ',']), '--includingNICs: no interface named');
  assert.equal(err([...REQUIRED, '--config', configFile(t, 'platformId=p\nport 80\n')]).replace(/\/tmp\/pa-daemon-conf-\w+\/probedaemon\.conf/, 'F'), 'config F line 2: unknown key \'port 80\'');
  assert.equal(err([...REQUIRED, '--config', configFile(t, 'colour=red\n')]).replace(/\/tmp\/pa-daemon-conf-\w+\/probedaemon\.conf/, 'F'), "config F line 1: unknown key 'colour'");
  assert.equal(err([...REQUIRED, '--config', configFile(t, 'insecure=maybe\n')]).replace(/\/tmp\/pa-daemon-conf-\w+\/probedaemon\.conf/, 'F'), "config F line 1: insecure is true or false, not 'maybe'");
  assert.equal(err([...REQUIRED, '--config', configFile(t, 'name=x\n', 0o666)]).replace(/\/tmp\/pa-daemon-conf-\w+\/probedaemon\.conf/, 'F'), 'config F: refused: group or others can write to it');
  assert.equal(err([...REQUIRED, '--config', '/nonexistent/probedaemon.conf']), 'config /nonexistent/probedaemon.conf: no such file or directory');
});

test('the config file is refused through a link or when another user owns it', (t) => {
  const path = configFile(t, 'name=x\n');
  const link = `${path}.link`;
  symlinkSync(path, link);
  assert.throws(() => parseDaemonCommandLine([...REQUIRED, '--config', link], {}), { message: `config ${link}: refused: it is a symbolic link` });
  chownSync(path, 4242, 4242);
  assert.throws(() => parseDaemonCommandLine([...REQUIRED, '--config', path], {}), { message: `config ${path}: refused: owned by uid 4242, not by the agent's user or root` });
});

test('--podname and --namespace name environment variables (sidecar mode)', () => {
  const o = parseDaemonCommandLine([...REQUIRED, '--podname', 'POD', '--namespace', 'NS'], { POD: 'web-1', NS: 'prod' });
  assert.equal(o.podName, 'web-1');
  assert.equal(o.namespace, 'prod');
});

test('--query: MIN,MAX inclusive; one port is a range of one', () => {
  assert.deepEqual(parseQuery('5556'), { min: 5556, max: 5556 });
  assert.deepEqual(parseQuery('1,2'), { min: 1, max: 2 });
  assert.throws(() => parseQuery('1,2,3'), { message: '--query 1,2,3: expected MIN,MAX' });
  assert.throws(() => parseQuery('0,2'), { message: "--query: '0' is not an integer in 1..65535" });
});
