/**
 * A throw-away PKI for TLS tests, made with the openssl command (Debian's
 * `openssl` package): a CA, a server certificate for 127.0.0.1 and localhost
 * and a client certificate signed by it (the client's as a password-protected
 * PKCS#12 file, the form --certificate takes), and a second, unrelated CA.
 * Keys are P-256: generated in milliseconds, where RSA would slow every test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Paths of the files made, all in `dir`. */
export interface Pki {
  dir: string;
  caPem: string;
  serverKey: string;
  serverCert: string;
  clientP12: string;
  clientP12Password: string;
  otherCaPem: string;
}

export const CLIENT_CN = 'packet-agent test client';

/**
 * Our own openssl configuration: the system's would add its defaults (Debian's
 * makes every `req -x509` certificate a CA), so each certificate gets exactly
 * the extensions below.
 */
const CONFIG = `
[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA `<name>.pem` with its key `<name>.key`. */
function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, 'req', '-x509', '-new', '-config', 'openssl.cnf', '-extensions', 'ca_ext', ...NEW_KEY,
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`);
}

/** A certificate `<name>.pem` with key `<name>.key`, signed by the CA `ca.pem`, with the extensions of section `ext`. */
function makeLeaf(dir: string, name: string, cn: string, ext: string, serial: number): void {
  openssl(dir, 'req', '-new', '-config', 'openssl.cnf', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial),
    '-days', '2', '-extfile', 'openssl.cnf', '-extensions', ext, '-out', `${name}.pem`);
}

/** Makes the PKI in a fresh directory, removed when `t` ends. */
export function makePki(t: TestContext): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'pa-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'openssl.cnf'), CONFIG);
  makeCa(dir, 'ca', 'packet-agent test CA');
  makeCa(dir, 'other-ca', 'packet-agent other CA');
  makeLeaf(dir, 'server', '127.0.0.1', 'server_ext', 2);
  makeLeaf(dir, 'client', CLIENT_CN, 'client_ext', 3);
  const clientP12Password = 'test-secret';
  // OpenSSL 3's defaults already; spelled out because older defaults (RC2, SHA-1 MAC) do not load in Node's OpenSSL 3.
  openssl(dir, 'pkcs12', '-export', '-in', 'client.pem', '-inkey', 'client.key', '-out', 'client.p12', '-passout', `pass:${clientP12Password}`,
    '-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256');
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.pem'),
    clientP12: join(dir, 'client.p12'),
    clientP12Password,
    otherCaPem: join(dir, 'other-ca.pem'),
  };
}
