/**
 * libpcap is compiled into the addon (lib/native/binding.gyp, lib/native/libpcap/), without the
 * optional modules that need other libraries: the addon `npm ci` built, and every prebuilt one in
 * prebuilds/, needs nothing at run time but the C library, and says which libpcap it carries.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { ROOT } from '../helpers/cli.js';

/** What ldd may list: the vDSO, the C library (libm, libgcc_s if the compiler wants them) and the loader. */
const ALLOWED = /^(linux-vdso\.so\.\d+|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|\/.*\/ld-linux[-\w.]*\.so\.\d+)$/;
/** libpcap itself, and what Debian's libpcap pulls in: D-Bus (and systemd under it), RDMA, libnl, USB, Bluetooth. */
const FORBIDDEN = /pcap|dbus|systemd|ibverbs|libnl|usb|bluetooth/;

/**
 * build/Release/packet_io.node (npm ci compiled it) and prebuilds/<platform>-<arch>/*.node (npm run
 * build:prebuilds, which moves the one it compiles there; npm ci then compiles nothing).
 */
function addonFiles(): string[] {
  const built = join(ROOT, 'build', 'Release', 'packet_io.node');
  const prebuilds = join(ROOT, 'prebuilds');
  const prebuilt = existsSync(prebuilds) ? readdirSync(prebuilds, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.node')).map((f) => join(prebuilds, f)) : [];
  const files = [...(existsSync(built) ? [built] : []), ...prebuilt];
  assert.notDeepEqual(files, [], `neither ${built} nor a prebuilt addon in ${prebuilds}: npm ci builds the first`);
  return files;
}

/** The libraries ldd lists for `file`: 'libc.so.6', '/lib64/ld-linux-x86-64.so.2', ... */
function sharedLibraries(file: string): string[] {
  return execFileSync('ldd', [file], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter((n) => n !== '');
}

test('the addon needs no libpcap and none of the libraries of its optional modules: only the C library', () => {
  for (const file of addonFiles()) {
    const libs = sharedLibraries(file);
    assert.ok(libs.some((l) => l.startsWith('libc.so')), `ldd ${file} lists no libc: ${libs.join(' ')}`);
    assert.deepEqual(libs.filter((l) => FORBIDDEN.test(l)), [], `ldd ${file}`);
    assert.deepEqual(libs.filter((l) => !ALLOWED.test(l)), [], `ldd ${file}: more than the C library`);
  }
});

test('the checks above reject a libpcap and its dependencies', () => {
  for (const lib of ['libpcap.so.0.8', 'libdbus-1.so.3', 'libsystemd.so.0', 'libibverbs.so.1', 'libnl-genl-3.so.200']) {
    assert.ok(FORBIDDEN.test(lib) && !ALLOWED.test(lib), lib);
  }
  assert.ok(['linux-vdso.so.1', 'libc.so.6', 'libm.so.6', '/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].every((l) => ALLOWED.test(l)));
});

test("libVersion() is the vendored libpcap's pcap_lib_version()", () => {
  const version = readFileSync(join(ROOT, 'lib', 'native', 'libpcap', 'VERSION'), 'utf8').trim();
  assert.equal(version, '1.10.3');
  assert.match(loadAddon().libVersion(), new RegExp(`^libpcap version ${version.replace(/\./g, '\\.')} \\(with TPACKET_V3\\)$`));
});
