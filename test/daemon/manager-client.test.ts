/**
 * The manager client against a real test manager (HTTP and HTTPS with a
 * throw-away PKI): what goes over the wire, which answers are results and
 * which are errors, and the exact one-line messages of the errors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { test, type TestContext } from 'node:test';
import { defaultCas, ManagerClient, SYSTEM_CA_BUNDLE, type ManagerClientOptions, type ManagerTls } from '../../lib/daemon/manager-client.js';
import { UserError } from '../../lib/errors.js';
import { ROOT } from '../helpers/cli.js';
import { DEFAULT_PA_UUID, startTestManager, type TestManager } from '../helpers/cpm.js';
import { CLIENT_CN, makePki, type Pki } from '../helpers/pki.js';

const NO_TLS: ManagerTls = { certificate: null, password: '', ca: null, insecure: false };
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** An opened client, closed when `t` ends. */
function openClient(t: TestContext, tls: Partial<ManagerTls> = {}, o: Omit<ManagerClientOptions, 'tls'> = {}): ManagerClient {
  const client = new ManagerClient({ tls: { ...NO_TLS, ...tls }, ...o });
  client.open();
  t.after(() => client.close());
  return client;
}

const strategyUrl = (m: TestManager, id: number, version: number): string => `${m.url}/${id}/sync/strategy?version=${version}`;
const metricsUrl = (m: TestManager, id: number): string => `${m.url}/${id}/sync/metrics`;
const json = (body: Buffer): unknown => JSON.parse(body.toString());

/** A plain HTTP server for answers the test manager does not script (endless bodies); closed when `t` ends. */
async function startRawServer(t: TestContext, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.close();
    server.closeAllConnections();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/daemons/1/sync/strategy?version=0`;
}

/**
 * `request()` rejects with exactly `message`, no sooner than `minMs` after it
 * was called (less 2 ms: timers count whole milliseconds) and no later than `maxMs`.
 */
async function assertRejectsIn(request: () => Promise<unknown>, message: string, minMs: number, maxMs: number): Promise<void> {
  const start = performance.now();
  await assert.rejects(request(), (e: Error) => {
    assert.equal(e.message, message);
    return true;
  });
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= minMs - 2 && elapsed <= maxMs, `rejected after ${elapsed.toFixed(0)} ms, expected ${minMs}-${maxMs} ms`);
}

test('the test manager plays CPM: ids 1, 2 at registration; strategy 200, then 304 at the same version; setAgent gives version + 1; metrics {}; unknown id 404', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t);
  const first = await c.request('POST', m.url, { name: 'probe-a', platformId: 'p1' });
  assert.equal(first.status, 200);
  assert.deepEqual(json(first.body), { name: 'probe-a', id: 1, paUUID: DEFAULT_PA_UUID });
  m.paUUID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  assert.deepEqual(json((await c.request('POST', m.url, { name: 'probe-b' })).body), { name: 'probe-b', id: 2, paUUID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' });

  const initial = await c.request('GET', strategyUrl(m, 1, 0));
  assert.equal(initial.status, 200);
  assert.deepEqual(json(initial.body), { version: 1 });
  const unchanged = await c.request('GET', strategyUrl(m, 1, 1));
  assert.equal(unchanged.status, 304);
  assert.equal(unchanged.body.length, 0);

  m.syncInterval = 30;
  m.setAgent({ id: 7, memLimit: 512, strategy: [{ interfaceNames: ['eth0'], packetChannelType: 'GRE' }] });
  const changed = await c.request('GET', strategyUrl(m, 2, 1));
  assert.equal(changed.status, 200);
  assert.deepEqual(json(changed.body), { id: 7, memLimit: 512, strategy: [{ interfaceNames: ['eth0'], packetChannelType: 'GRE' }], version: 2, syncInterval: 30 });
  assert.equal((await c.request('GET', strategyUrl(m, 2, 2))).status, 304);

  const metrics = await c.request('POST', metricsUrl(m, 1), { logs: [] });
  assert.deepEqual([metrics.status, json(metrics.body)], [200, {}]);
  assert.equal((await c.request('GET', strategyUrl(m, 3, 0))).status, 404);
  assert.equal((await c.request('POST', metricsUrl(m, 0), {})).status, 404);
  assert.equal((await c.request('GET', `${m.url}/1/report`)).status, 404);
  assert.deepEqual(
    m.requests.map((r) => `${r.method} ${r.path} ${r.query}`),
    [
      'POST /api/v1/daemons ',
      'POST /api/v1/daemons ',
      'GET /api/v1/daemons/1/sync/strategy version=0',
      'GET /api/v1/daemons/1/sync/strategy version=1',
      'GET /api/v1/daemons/2/sync/strategy version=1',
      'GET /api/v1/daemons/2/sync/strategy version=2',
      'POST /api/v1/daemons/1/sync/metrics ',
      'GET /api/v1/daemons/3/sync/strategy version=0',
      'POST /api/v1/daemons/0/sync/metrics ',
      'GET /api/v1/daemons/1/report ',
    ],
  );
});

test('the test manager: waitFor finds a recorded or a coming request, and names what it saw when none comes', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t);
  await c.request('POST', m.url, { name: 'probe-a' });
  assert.equal((await m.waitFor((r) => r.method === 'POST', 10)).path, '/api/v1/daemons');
  const second = m.waitFor((r) => r.path.endsWith('/metrics'), 2000);
  await c.request('POST', metricsUrl(m, 1), { pid: 9 });
  assert.deepEqual((await second).json, { pid: 9 });
  await assert.rejects(m.waitFor((r) => r.method === 'PUT', 50), {
    message: 'no matching request within 50 ms; recorded: POST /api/v1/daemons {"name":"probe-a"} | POST /api/v1/daemons/1/sync/metrics {"pid":9}',
  });
});

test('JSON round trip: the body arrives as sent, every request carries the JSON and user-agent headers, the answer comes back as bytes', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t);
  const report = { logs: [{ logTimestamp: 1700000000, logMicroTimestamp: 5, logLevel: 'INFO', logDetails: 'é ünïcode ✓' }], pid: 42, metrics: { capBytes: 1234567 } };
  await c.request('POST', m.url, { name: 'probe-a' });
  const posted = await c.request('POST', metricsUrl(m, 1), report);
  assert.deepEqual([posted.status, posted.url], [200, metricsUrl(m, 1)]);
  const post = m.requests[1]!;
  assert.deepEqual(post.json, report);
  assert.equal(post.body, JSON.stringify(report));
  assert.equal(post.headers['content-length'], String(Buffer.byteLength(post.body)));

  m.answerNext('strategy', { status: 200, body: '{"version": 3, "name": "ünï"}' });
  const got = await c.request('GET', strategyUrl(m, 1, 0));
  assert.equal(got.body.toString(), '{"version": 3, "name": "ünï"}');
  const get = m.requests[2]!;
  assert.equal(get.body, '');
  for (const r of [post, get]) {
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['accept'], 'application/json');
    assert.equal(r.headers['user-agent'], `probedaemon/${VERSION}`);
  }
});

test('any status is a result, not an error: 500 with its body, 304 empty, 200 with malformed JSON as bytes', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t);
  m.answerNext('strategy', { status: 500, body: 'internal error' });
  m.answerNext('strategy', { status: 304 });
  m.answerNext('strategy', { status: 200, body: '{"version": ' });
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await c.request('GET', strategyUrl(m, 1, 0)));
  assert.deepEqual(
    answers.map((a) => [a.status, a.body.toString()]),
    [
      [500, 'internal error'],
      [304, ''],
      [200, '{"version": '],
    ],
  );
});

test('redirects: GET follows 301, 302, 303, 307 and 308; POST only 307 and 308; the others come back as they are', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t);
  await c.request('POST', m.url, { name: 'probe-a' });
  for (const status of [301, 302, 303, 307, 308]) {
    // A relative Location, resolved against the URL that sent it.
    m.answerNext('strategy', { status, headers: { Location: '../../1/sync/strategy?version=1' } });
    const r = await c.request('GET', strategyUrl(m, 5, 0));
    assert.deepEqual([r.status, r.url], [304, strategyUrl(m, 1, 1)], `GET after ${status}`);
  }
  for (const status of [301, 302, 303, 307, 308]) {
    m.answerNext('metrics', { status, body: 'moved', headers: { Location: metricsUrl(m, 1) } });
    const r = await c.request('POST', metricsUrl(m, 5), { n: status });
    const expected = status >= 307 ? [200, '{}', metricsUrl(m, 1)] : [status, 'moved', metricsUrl(m, 5)];
    assert.deepEqual([r.status, r.body.toString(), r.url], expected, `POST after ${status}`);
  }
  // The 307 and 308 posts were sent again to the new place, with the same body.
  assert.deepEqual(
    m.requests.filter((r) => r.method === 'POST').map((r) => `${r.path} ${r.body}`),
    [
      '/api/v1/daemons {"name":"probe-a"}',
      '/api/v1/daemons/5/sync/metrics {"n":301}',
      '/api/v1/daemons/5/sync/metrics {"n":302}',
      '/api/v1/daemons/5/sync/metrics {"n":303}',
      '/api/v1/daemons/5/sync/metrics {"n":307}',
      '/api/v1/daemons/1/sync/metrics {"n":307}',
      '/api/v1/daemons/5/sync/metrics {"n":308}',
      '/api/v1/daemons/1/sync/metrics {"n":308}',
    ],
  );
});

test('redirects: a POST 307 to another manager registers there with the same body', async (t) => {
  const old = await startTestManager(t);
  const moved = await startTestManager(t);
  const c = openClient(t);
  old.answerNext('register', { status: 307, headers: { Location: moved.url } });
  const r = await c.request('POST', old.url, { name: 'probe-a', platformId: 'p1' });
  assert.deepEqual([r.status, json(r.body), r.url], [200, { name: 'probe-a', id: 1, paUUID: DEFAULT_PA_UUID }, moved.url]);
  assert.deepEqual(moved.requests.map((q) => [q.method, q.body]), [['POST', '{"name":"probe-a","platformId":"p1"}']]);
});

test('redirects: a loop fails after 5; a redirect out of http(s) or from https to http is refused', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t);
  // As many as the client may follow, and one more: it must give up at the sixth.
  m.answerNext('strategy', { status: 302, headers: { Location: strategyUrl(m, 1, 0) } }, 6);
  await assert.rejects(c.request('GET', strategyUrl(m, 1, 0)), { message: `GET ${strategyUrl(m, 1, 0)}: more than 5 redirects` });
  assert.equal(m.requests.length, 6);

  m.answerNext('strategy', { status: 302, headers: { Location: 'ftp://127.0.0.1/strategy' } });
  await assert.rejects(c.request('GET', strategyUrl(m, 1, 0)), { message: `GET ${strategyUrl(m, 1, 0)}: redirect to ftp://127.0.0.1/strategy refused: not http or https` });

  const pki = makePki(t);
  const secure = await startTestManager(t, { tls: { key: pki.serverKey, cert: pki.serverCert } });
  const tlsClient = openClient(t, { ca: pki.caPem });
  secure.answerNext('strategy', { status: 301, headers: { Location: strategyUrl(m, 1, 0) } });
  await assert.rejects(tlsClient.request('GET', strategyUrl(secure, 1, 0)), {
    message: `GET ${strategyUrl(secure, 1, 0)}: redirect to ${strategyUrl(m, 1, 0)} refused: https to http would drop TLS`,
  });
  assert.equal(m.requests.length, 7);
});

test('timeout: a manager that never answers fails the request after timeoutMs, with the time in the message', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t, {}, { timeoutMs: 300 });
  await c.request('POST', m.url, { name: 'probe-a' });
  m.answerNext('strategy', { status: 200, delayMs: 60_000 });
  await assertRejectsIn(() => c.request('GET', strategyUrl(m, 1, 0)), `GET ${strategyUrl(m, 1, 0)}: timed out after 0.3 s`, 300, 1000);
  // The client is still usable: the next request gets its answer.
  assert.equal((await c.request('GET', strategyUrl(m, 1, 1))).status, 304);
});

test('timeout: one deadline for the whole request, however slowly the body trickles in', async (t) => {
  const url = await startRawServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{');
    const trickle = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(trickle));
  });
  const c = openClient(t, {}, { timeoutMs: 400 });
  await assertRejectsIn(() => c.request('GET', url), `GET ${url}: timed out after 0.4 s`, 400, 1100);
});

test('timeout: the deadline covers redirects too', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t, {}, { timeoutMs: 500 });
  // Each hop alone is well within the time, the two together are not: the second fails.
  m.answerNext('strategy', { status: 302, delayMs: 300, headers: { Location: strategyUrl(m, 1, 1) } }, 2);
  await assertRejectsIn(() => c.request('GET', strategyUrl(m, 1, 0)), `GET ${strategyUrl(m, 1, 1)}: timed out after 0.5 s`, 500, 1200);
});

test('body limit: an answer of exactly maxBodyBytes is read; one byte more, declared or streamed without end, fails at once', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t, {}, { maxBodyBytes: 64 * 1024 });
  m.answerNext('strategy', { status: 200, body: 'x'.repeat(64 * 1024) });
  assert.equal((await c.request('GET', strategyUrl(m, 1, 0))).body.length, 64 * 1024);
  m.answerNext('strategy', { status: 200, body: 'x'.repeat(64 * 1024 + 1) });
  await assert.rejects(c.request('GET', strategyUrl(m, 1, 0)), { message: `GET ${strategyUrl(m, 1, 0)}: answer larger than 64 KiB` });

  let sent = 0;
  const url = await startRawServer(t, (_req, res) => {
    // Chunked, no Content-Length: only counting the bytes can stop it.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const pour = setInterval(() => {
      sent += chunk.length;
      res.write(chunk);
    }, 5);
    res.on('close', () => clearInterval(pour));
  });
  await assertRejectsIn(() => c.request('GET', url), `GET ${url}: answer larger than 64 KiB`, 0, 1000);
  assert.ok(sent < 1024 * 1024, `the server poured ${sent} bytes before the client hung up`);
});

test('body limit: a Content-Length over the limit is refused before a byte of the body is read', async (t) => {
  const url = await startRawServer(t, (_req, res) => {
    // Announces 1 GiB, sends one byte and stalls: only the header can fail it before the time-out.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 1024 ** 3 });
    res.write('{');
  });
  const c = openClient(t, {}, { maxBodyBytes: 1000 });
  await assertRejectsIn(() => c.request('GET', url), `GET ${url}: answer larger than 1000 bytes`, 0, 1000);
});

test('the default body limit is 8 MiB', async (t) => {
  const m = await startTestManager(t);
  const c = openClient(t);
  m.answerNext('strategy', { status: 200, body: 'x'.repeat(8 * 1024 * 1024 + 1) });
  await assert.rejects(c.request('GET', strategyUrl(m, 1, 0)), { message: `GET ${strategyUrl(m, 1, 0)}: answer larger than 8 MiB` });
});

test('transport errors: connection refused, and URLs that are not http(s), in one line with method and URL', async (t) => {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
  const c = openClient(t);
  const url = `http://127.0.0.1:${port}/api/v1/daemons`;
  await assert.rejects(c.request('POST', url, {}), { message: `POST ${url}: connect ECONNREFUSED 127.0.0.1:${port}` });
  await assert.rejects(c.request('GET', 'ftp://cpm/api'), { message: 'GET ftp://cpm/api: not an http or https URL' });
  await assert.rejects(c.request('GET', 'cpm:9022/api'), { message: 'GET cpm:9022/api: not an http or https URL' });
  await assert.rejects(c.request('GET', '/api/v1/daemons'), { message: 'GET /api/v1/daemons: not a URL' });
});

test("TLS: without --ca, Node's bundled roots and the system bundle's CAs are trusted (only the roots where there is no bundle)", () => {
  const system = existsSync(SYSTEM_CA_BUNDLE) ? (readFileSync(SYSTEM_CA_BUNDLE, 'latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []) : [];
  assert.deepEqual(defaultCas(), [...rootCertificates, ...system]);
});

async function tlsManager(t: TestContext, pki: Pki, requireClientCert = false): Promise<TestManager> {
  return startTestManager(t, { tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caPem, requireClientCert } });
}

test('TLS: verification is on by default, and the system CAs do not know the test CA', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki);
  const c = openClient(t);
  await assert.rejects(c.request('GET', strategyUrl(m, 1, 0)), {
    message: `GET ${strategyUrl(m, 1, 0)}: certificate verify failed: self-signed certificate in certificate chain`,
  });
  assert.equal(m.requests.length, 0);
});

test('TLS: --ca with the test CA verifies the manager, by IP address and by name; another CA does not', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki);
  const trusting = openClient(t, { ca: pki.caPem });
  assert.equal((await trusting.request('GET', strategyUrl(m, 1, 1))).status, 404);
  const byName = strategyUrl(m, 1, 1).replace('127.0.0.1', 'localhost');
  assert.equal((await trusting.request('GET', byName)).status, 404);
  const other = openClient(t, { ca: pki.otherCaPem });
  await assert.rejects(other.request('GET', strategyUrl(m, 1, 1)), {
    message: `GET ${strategyUrl(m, 1, 1)}: certificate verify failed: self-signed certificate in certificate chain`,
  });
  assert.equal(m.requests.length, 2);
});

test('TLS: --insecure accepts a certificate nobody vouches for', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki);
  const c = openClient(t, { insecure: true });
  const r = await c.request('POST', m.url, { name: 'probe-a' });
  assert.deepEqual([r.status, json(r.body)], [200, { name: 'probe-a', id: 1, paUUID: DEFAULT_PA_UUID }]);
});

test('TLS: the client certificate is presented; a manager that requires one refuses a client without', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki, true);
  const c = openClient(t, { ca: pki.caPem, certificate: pki.clientP12, password: pki.clientP12Password });
  assert.equal((await c.request('POST', m.url, { name: 'probe-a' })).status, 200);
  assert.equal((await c.request('GET', strategyUrl(m, 1, 0))).status, 200);
  assert.deepEqual(m.requests.map((r) => r.clientCert), [CLIENT_CN, CLIENT_CN]);

  const anonymous = openClient(t, { ca: pki.caPem });
  await assert.rejects(anonymous.request('GET', strategyUrl(m, 1, 0)), { message: `GET ${strategyUrl(m, 1, 0)}: tlsv13 alert certificate required` });
  assert.equal(m.requests.length, 2);
});

test('TLS: a certificate configured for an http:// manager is simply not used', async (t) => {
  const pki = makePki(t);
  const m = await startTestManager(t);
  const c = openClient(t, { certificate: pki.clientP12, password: pki.clientP12Password });
  assert.equal((await c.request('POST', m.url, { name: 'probe-a' })).status, 200);
  assert.equal(m.requests[0]!.clientCert, undefined);
});

/** A PKCS#12 file `name` made of the test client's certificate and key with these extra `openssl pkcs12 -export` options. */
function exportPkcs12(pki: Pki, name: string, ...options: string[]): string {
  const path = join(pki.dir, name);
  execFileSync('openssl', ['pkcs12', '-export', '-in', 'client.pem', '-inkey', 'client.key', '-out', path, '-passout', 'pass:pw', ...options], { cwd: pki.dir, stdio: 'ignore' });
  return path;
}

test('open(): a bad certificate or CA file is one UserError line naming the option, the file and the reason', (t) => {
  const pki = makePki(t);
  const empty = join(pki.dir, 'empty.p12');
  writeFileSync(empty, '');
  const legacy = exportPkcs12(pki, 'legacy.p12', '-legacy');
  const keyless = exportPkcs12(pki, 'keyless.p12', '-nokeys');
  // Whom a root daemon trusts: the files are read under the rule of configuration files.
  const writable = join(pki.dir, 'writable.pem');
  writeFileSync(writable, readFileSync(pki.caPem));
  chmodSync(writable, 0o666);
  const linked = join(pki.dir, 'linked.p12');
  symlinkSync(pki.clientP12, linked);
  const cases: [Partial<ManagerTls>, string][] = [
    [{ ca: writable }, `--ca ${writable}: refused: group or others can write to it`],
    [{ certificate: linked, password: 'pw' }, `--certificate ${linked}: refused: it is a symbolic link`],
    [{ certificate: pki.clientP12, password: 'wrong' }, `--certificate ${pki.clientP12}: wrong password (mac verify failure)`],
    [{ certificate: pki.clientP12 }, `--certificate ${pki.clientP12}: wrong password (mac verify failure)`],
    [{ certificate: `${pki.dir}/missing.p12` }, `--certificate ${pki.dir}/missing.p12: no such file or directory`],
    [{ certificate: pki.dir }, `--certificate ${pki.dir}: refused: not a regular file`],
    [{ certificate: pki.caPem }, `--certificate ${pki.caPem}: not a PKCS#12 file (wrong tag)`],
    [{ certificate: empty }, `--certificate ${empty}: not a PKCS#12 file (not enough data)`],
    [
      { certificate: legacy, password: 'pw' },
      `--certificate ${legacy}: Unsupported PKCS12 PFX data: probably the RC2-40 encryption of OpenSSL before 3.0, which OpenSSL 3 no longer loads; re-export it with openssl pkcs12 -export`,
    ],
    [{ certificate: keyless, password: 'pw' }, `--certificate ${keyless}: Unable to load private key from PFX data`],
    [{ ca: `${pki.dir}/missing.pem` }, `--ca ${pki.dir}/missing.pem: no such file or directory`],
    [{ ca: pki.serverKey }, `--ca ${pki.serverKey}: no certificate in it (expected PEM "BEGIN CERTIFICATE" blocks)`],
    [{ ca: pki.clientP12 }, `--ca ${pki.clientP12}: no certificate in it (expected PEM "BEGIN CERTIFICATE" blocks)`],
  ];
  for (const [tls, message] of cases) {
    const c = new ManagerClient({ tls: { ...NO_TLS, ...tls } });
    assert.throws(() => c.open(), (e: Error) => {
      assert.ok(e instanceof UserError, `${message}: ${e.name}`);
      assert.equal(e.message, message);
      return true;
    });
  }
});

test('open(): a CA file with a damaged certificate block is refused', (t) => {
  const pki = makePki(t);
  const pem = readFileSync(pki.caPem, 'utf8');
  const damaged = join(pki.dir, 'damaged.pem');
  // Keep the armour, break the base64 inside it.
  writeFileSync(damaged, pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!'));
  assert.throws(() => new ManagerClient({ tls: { ...NO_TLS, ca: damaged } }).open(), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, new RegExp(`^--ca ${damaged}: certificate 1 is damaged \\([^\\n]+\\)$`));
    return true;
  });
});
