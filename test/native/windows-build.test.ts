/**
 * The Windows code path of the addon (lib/native/*_win.c), proven by cross-compiling it here with
 * mingw-w64 (scripts/cross-build-win.sh): the result must be what Node on Windows x64 loads, a
 * PE32+ x86-64 DLL exporting napi_register_module_v1 and importing Node-API from node.exe, libpcap
 * from Npcap's wpcap.dll, Winsock and IP Helper. Its headers are read here, not by the toolchain
 * that wrote them. Nothing is run: this machine has no Windows. Without mingw-w64 the test fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

interface PeFile {
  machine: number;
  dll: boolean;
  magic: number;
  exports: string[];
  /** DLL name (upper case) → the functions imported from it. */
  imports: Map<string, string[]>;
}

/** Just enough of the PE/COFF format (Microsoft's "PE Format" page) to list exports and imports, every read bounds-checked by Buffer. */
function readPe(b: Buffer): PeFile {
  assert.equal(b.toString('latin1', 0, 2), 'MZ', 'DOS header');
  const pe = b.readUInt32LE(0x3c);
  assert.equal(b.toString('latin1', pe, pe + 4), 'PE\0\0', 'PE signature');
  const sections = b.readUInt16LE(pe + 6);
  const optionalSize = b.readUInt16LE(pe + 20);
  const opt = pe + 24;
  const magic = b.readUInt16LE(opt);
  // PE32+: the data directories start 112 bytes into the optional header; 0 export, 1 import.
  const directory = (i: number) => b.readUInt32LE(opt + 112 + 8 * i);
  const table = opt + optionalSize;
  const offset = (rva: number): number => {
    for (let s = 0; s < sections; s++) {
      const h = table + 40 * s;
      const va = b.readUInt32LE(h + 12);
      const size = Math.max(b.readUInt32LE(h + 8), b.readUInt32LE(h + 16));
      if (rva >= va && rva < va + size) return rva - va + b.readUInt32LE(h + 20);
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
  };
  const cString = (rva: number): string => {
    const start = offset(rva);
    return b.toString('latin1', start, b.indexOf(0, start));
  };
  const exports: string[] = [];
  if (directory(0) !== 0) {
    const e = offset(directory(0));
    const names = offset(b.readUInt32LE(e + 32));
    for (let i = 0; i < b.readUInt32LE(e + 24); i++) exports.push(cString(b.readUInt32LE(names + 4 * i)));
  }
  const imports = new Map<string, string[]>();
  for (let d = offset(directory(1)); b.readUInt32LE(d + 12) !== 0; d += 20) {
    const functions: string[] = [];
    // The import lookup table: 64-bit entries, by name unless the top bit is set, 0 at the end.
    for (let t = offset(b.readUInt32LE(d)); b.readBigUInt64LE(t) !== 0n; t += 8) {
      const entry = b.readBigUInt64LE(t);
      functions.push(entry >> 63n ? `#${entry & 0xffffn}` : cString(Number(entry & 0x7fffffffn) + 2));
    }
    imports.set(cString(b.readUInt32LE(d + 12)).toUpperCase(), functions);
  }
  return { machine: b.readUInt16LE(pe + 4), dll: (b.readUInt16LE(pe + 22) & 0x2000) !== 0, magic, exports, imports };
}

test('scripts/cross-build-win.sh builds the Windows addon: a PE32+ x86-64 DLL for Node-API, Npcap and Winsock', { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'pa-win-'));
  try {
    execFileSync(join(ROOT, 'scripts', 'cross-build-win.sh'), [out], { stdio: ['ignore', 'pipe', 'pipe'] });
    const pe = readPe(readFileSync(join(out, 'packet_io.node')));
    assert.equal(pe.machine, 0x8664, 'IMAGE_FILE_MACHINE_AMD64');
    assert.equal(pe.magic, 0x20b, 'PE32+');
    assert.equal(pe.dll, true, 'IMAGE_FILE_DLL');
    assert.ok(pe.exports.includes('napi_register_module_v1'), `exports: ${pe.exports.join(', ')}`);
    const from = (dll: string) => pe.imports.get(dll) ?? assert.fail(`no import from ${dll} (imports: ${[...pe.imports.keys()].join(', ')})`);
    for (const fn of ['napi_create_threadsafe_function', 'napi_make_callback', 'napi_create_buffer_copy']) assert.ok(from('NODE.EXE').includes(fn), fn);
    for (const fn of ['pcap_create', 'pcap_activate', 'pcap_getevent', 'pcap_dispatch', 'pcap_setnonblock', 'pcap_findalldevs', 'pcap_stats']) assert.ok(from('WPCAP.DLL').includes(fn), fn);
    for (const fn of ['WSASocketW', 'sendto', 'closesocket', 'inet_ntop']) assert.ok(from('WS2_32.DLL').includes(fn), fn);
    assert.ok(from('IPHLPAPI.DLL').includes('GetAdaptersAddresses'));
    // No Linux or libuv symbol slipped in: everything else is the Windows system and its C runtime.
    assert.deepEqual([...pe.imports.keys()].sort(), ['IPHLPAPI.DLL', 'KERNEL32.DLL', 'MSVCRT.DLL', 'NODE.EXE', 'WPCAP.DLL', 'WS2_32.DLL']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
