import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../lib/errors.js';
import { checkKvmName, listKvmGuests, parseDomainXml, parseDomiflist, resolveKvmGuest, type KvmNic } from '../../lib/sources/kvm.js';

/** The live status file of guest web1 (see test/fixtures-kvm/README.md). */
const WEB1_XML = readFileSync(fileURLToPath(new URL('../../../test/fixtures-kvm/web1.xml', import.meta.url)), 'utf8');
const GUEST_MAC = Buffer.from([0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc]);

/** A NIC as plain values, so that deepEqual compares the MAC's bytes. */
const plain = (nic: KvmNic | null): { tap: string; mac: string } | null => nic && { tap: nic.tap, mac: nic.mac.toString('hex') };
const nic = (tap: string, mac: string): { tap: string; mac: string } => ({ tap, mac: mac.replace(/:/g, '') });

/** Asserts a one-line UserError naming -m/--kvm whose message matches `re`. */
function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.match(e.message, /^-m\/--kvm: /);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, re);
    return true;
  });
}

/** `virsh domiflist` of a running guest with two NICs, as libvirt ≥ 5 prints it (vshTable: leading space, dashes). */
const DOMIFLIST_RUNNING = `\
 Interface   Type      Source    Model    MAC
------------------------------------------------------------
 vnet3       bridge    br0       virtio   52:54:00:aa:bb:cc
 vnet4       network   default   virtio   52:54:00:11:22:33

`;

/** The same guest shut off: libvirt drops the generated tap names. */
const DOMIFLIST_SHUT_OFF = `\
 Interface   Type      Source    Model    MAC
------------------------------------------------------------
 -           bridge    br0       virtio   52:54:00:aa:bb:cc
 -           network   default   virtio   52:54:00:11:22:33

`;

/** A domain as `virsh dumpxml` gives it: no <domstatus>, MAC before target. */
const domain = (interfaces: string): string => `<domain type='kvm' id='2'>
  <name>db-2</name>
  <devices>
${interfaces}
  </devices>
</domain>
`;

describe('checkKvmName', () => {
  it('accepts and returns names of letters, digits and _ . : - up to 251 characters', () => {
    for (const name of ['web1', 'db-01.prod', 'ns:vm_2', 'A', 'x'.repeat(251), '-leading-dash']) {
      assert.equal(checkKvmName(name), name);
    }
  });

  it('refuses shell metacharacters, paths, white space, empty and over-long names in one line naming -m/--kvm', () => {
    const bad = [
      'web1; rm -rf /', '$(id)', '`id`', 'a|b', 'a&b', 'a>b', "it's", '"q"', 'a b', 'web\n1', 'tab\t',
      '../etc/passwd', 'a/b', '/abs', '..', '.', 'a..b', '', 'x'.repeat(252), 'wéb', 'nul\0',
    ];
    for (const name of bad) refuses(() => checkKvmName(name), /not a guest name we accept/);
  });
});

describe('parseDomainXml', () => {
  it('reads the first tap NIC of a live status file, past comments, metadata and a NIC without target (golden)', () => {
    assert.deepEqual(plain(parseDomainXml(WEB1_XML)), nic('vnet3', '52:54:00:aa:bb:cc'));
    const found = parseDomainXml(WEB1_XML);
    assert.ok(found?.mac.equals(GUEST_MAC));
  });

  it('reads the tap a restarted guest got', () => {
    assert.deepEqual(plain(parseDomainXml(WEB1_XML.replace("'vnet3'", "'vnet5'").replace('"vnet3"', '"vnet5"'))), nic('vnet5', '52:54:00:aa:bb:cc'));
  });

  it('reads virsh dumpxml output, MAC before target, single quotes, extra attributes in any order', () => {
    const xml = domain(`    <interface type='network'>
      <mac address='52:54:00:0A:0b:0C' type='static'/>
      <source network='default'/>
      <target managed='no' dev='macvtap0'/>
    </interface>`);
    assert.deepEqual(plain(parseDomainXml(xml)), nic('macvtap0', '52:54:00:0a:0b:0c'));
  });

  it('skips a self-closing interface and one with a target but no MAC', () => {
    // The disk's target must not be taken for the self-closing interface's.
    const xml = domain(`    <interface type='ethernet'><target dev='tap0'/></interface>
    <interface type='user'/>
    <disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>
    <interface type = "bridge" ><mac   address = "52:54:00:00:00:07" /><target dev = "vnet7" /></interface >`);
    assert.deepEqual(plain(parseDomainXml(xml)), nic('vnet7', '52:54:00:00:00:07'));
  });

  it('decodes entities in attribute values', () => {
    const xml = domain(`<interface type='ethernet'><target dev='t&#97;p&amp;1'/><mac address='52&#x3a;54:00:00:00:08'/></interface>`);
    assert.deepEqual(plain(parseDomainXml(xml)), nic('tap&1', '52:54:00:00:00:08'));
  });

  it('returns null for a guest without a tap NIC and for text that holds no domain', () => {
    const hostdevOnly = domain(`<interface type='hostdev'><mac address='52:54:00:5e:00:01'/><source/></interface>`);
    for (const text of [hostdevOnly, domain(''), '', 'not xml at all', "<network><interface><target dev='vnet1'/><mac address='52:54:00:00:00:01'/></interface></network>"]) {
      assert.equal(parseDomainXml(text), null, text);
    }
  });

  it('refuses a bad MAC', () => {
    for (const mac of ['52:54:00:aa:bb', '52:54:00:aa:bb:cc:dd', '52-54-00-aa-bb-cc', '52:54:00:aa:bb:gg', '5254.00aa.bbcc', '', ' 52:54:00:aa:bb:cc']) {
      refuses(() => parseDomainXml(domain(`<interface type='bridge'><target dev='vnet3'/><mac address='${mac}'/></interface>`)), /MAC .* is not six hex bytes/);
    }
  });

  it('refuses a tap that cannot be a Linux interface name', () => {
    for (const tap of ['vnet 3', 'a/b', 'vnet0:1', 'sixteen-bytes-xx', '', '..']) {
      refuses(() => parseDomainXml(domain(`<interface type='bridge'><target dev='${tap}'/><mac address='52:54:00:aa:bb:cc'/></interface>`)), /tap.*cannot be a Linux interface name/);
    }
  });
});

describe('parseDomiflist', () => {
  it('reads the first NIC of a running guest with two NICs', () => {
    const found = parseDomiflist(DOMIFLIST_RUNNING);
    assert.deepEqual(plain(found), nic('vnet3', '52:54:00:aa:bb:cc'));
    assert.ok(found?.mac.equals(GUEST_MAC));
  });

  it('reads the layout of libvirt before 5.0 (no leading space)', () => {
    const text = 'Interface  Type       Source     Model       MAC\n-------------------------------------------------------\nvnet0      bridge     br0        virtio      52:54:00:aa:bb:cc\n\n';
    assert.deepEqual(plain(parseDomiflist(text)), nic('vnet0', '52:54:00:aa:bb:cc'));
  });

  it('returns null for a shut-off guest (Interface is -)', () => {
    assert.equal(parseDomiflist(DOMIFLIST_SHUT_OFF), null);
  });

  it('skips a NIC without a tap and reads the next, as parseDomainXml does', () => {
    const text = ' Interface   Type      Source   Model    MAC\n---------------------------------------------------\n -           hostdev   -        -        52:54:00:5e:00:01\n vnet4       network   default  virtio   52:54:00:11:22:33\n';
    assert.deepEqual(plain(parseDomiflist(text)), nic('vnet4', '52:54:00:11:22:33'));
  });

  it('reads only the first and last columns: header words and a Source with spaces do not matter', () => {
    const text = ' Schnittstelle   Typ       Quelle        Modell   MAC\n-------------------------------------------------------------\n vnet9           network   lab net one   virtio   52:54:00:00:00:09\n';
    assert.deepEqual(plain(parseDomiflist(text)), nic('vnet9', '52:54:00:00:00:09'));
  });

  it('returns null for a guest without NICs and for text without a table', () => {
    for (const text of [' Interface   Type   Source   Model   MAC\n-------------------------------------\n\n', '', "error: failed to get domain 'x'\n"]) {
      assert.equal(parseDomiflist(text), null, text);
    }
  });

  it('refuses a bad MAC or tap', () => {
    const table = (line: string): string => ' Interface   Type   Source   Model   MAC\n----------------------------------\n' + line + '\n';
    refuses(() => parseDomiflist(table(' vnet3   bridge   br0   virtio   52:54:00:aa:bb')), /MAC "52:54:00:aa:bb" is not six hex bytes/);
    refuses(() => parseDomiflist(table(' vnet3')), /MAC "vnet3" is not six hex bytes/);
    refuses(() => parseDomiflist(table(' a/b   bridge   br0   virtio   52:54:00:aa:bb:cc')), /tap: "a\/b" cannot be a Linux interface name/);
  });
});

describe('resolveKvmGuest', () => {
  let dir = '';
  let runDir = '';
  /** A virsh stand-in: records each call's arguments and answers with `answer`. */
  const fakeVirsh = (answer: string | null): { calls: string[][]; virsh: (args: string[]) => string | null } => {
    const calls: string[][] = [];
    return { calls, virsh: (args) => (calls.push(args), answer) };
  };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kvm-'));
    runDir = path.join(dir, 'run', 'libvirt', 'qemu');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(path.join(runDir, 'web1.xml'), WEB1_XML);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the live XML file and does not run virsh when it is there', () => {
    const { calls, virsh } = fakeVirsh(DOMIFLIST_SHUT_OFF);
    assert.deepEqual(plain(resolveKvmGuest('web1', { runDir, virsh })), nic('vnet3', '52:54:00:aa:bb:cc'));
    assert.deepEqual(calls, []);
  });

  it('follows a restart onto another tap (nothing is cached)', () => {
    const file = path.join(dir, 'run2');
    mkdirSync(file);
    writeFileSync(path.join(file, 'web1.xml'), WEB1_XML);
    assert.equal(resolveKvmGuest('web1', { runDir: file, virsh: () => null })?.tap, 'vnet3');
    writeFileSync(path.join(file, 'web1.xml'), WEB1_XML.replace('"vnet3"', '"vnet5"'));
    assert.equal(resolveKvmGuest('web1', { runDir: file, virsh: () => null })?.tap, 'vnet5');
  });

  it('asks virsh domiflist, with an argument array, when there is no live XML file', () => {
    const { calls, virsh } = fakeVirsh(DOMIFLIST_RUNNING);
    assert.deepEqual(plain(resolveKvmGuest('-db:2', { runDir, virsh })), nic('vnet3', '52:54:00:aa:bb:cc'));
    assert.deepEqual(calls, [['--readonly', 'domiflist', '--domain', '-db:2']]);
  });

  it('returns null when virsh says shut off, when virsh is absent or fails, and when the run directory is missing', () => {
    assert.equal(resolveKvmGuest('db-2', { runDir, virsh: fakeVirsh(DOMIFLIST_SHUT_OFF).virsh }), null);
    assert.equal(resolveKvmGuest('db-2', { runDir, virsh: () => null }), null);
    const { calls, virsh } = fakeVirsh(null);
    assert.equal(resolveKvmGuest('web1', { runDir: path.join(dir, 'no', 'such', 'dir'), virsh }), null);
    assert.equal(calls.length, 1);
  });

  it('refuses a bad name before any file is read or virsh is run', () => {
    // A status file one level up: '../web1' would find it if the name reached a path.
    writeFileSync(path.join(runDir, '..', 'web1.xml'), WEB1_XML);
    for (const name of ['../web1', 'x/../../web1', 'web1; reboot']) {
      const { calls, virsh } = fakeVirsh(DOMIFLIST_RUNNING);
      refuses(() => resolveKvmGuest(name, { runDir, virsh }), /not a guest name we accept/);
      assert.deepEqual(calls, []);
    }
  });

  it('names the guest and the source when libvirt gives a bad MAC', () => {
    writeFileSync(path.join(runDir, 'bad1.xml'), domain(`<interface type='bridge'><target dev='vnet3'/><mac address='52:54:00:aa:bb'/></interface>`));
    refuses(() => resolveKvmGuest('bad1', { runDir, virsh: () => null }), /MAC .* \(guest bad1, from .*\/run\/libvirt\/qemu\/bad1\.xml\)$/);
    const table = DOMIFLIST_RUNNING.replace('52:54:00:aa:bb:cc', '52:54:00:aa:bb');
    refuses(() => resolveKvmGuest('bad2', { runDir, virsh: () => table }), /MAC .* \(guest bad2, from virsh domiflist\)$/);
  });

  describe('with virsh from PATH (a shell script standing in for it)', () => {
    let bin = '';
    let savedPath: string | undefined;
    before(() => {
      bin = path.join(dir, 'bin');
      mkdirSync(bin);
      // Records its arguments and locale, writes noise to stderr, and knows only guest web7.
      writeFileSync(
        path.join(bin, 'virsh'),
        `#!/bin/sh
printf '%s\\n' "$@" "LC_ALL=$LC_ALL" > "${bin}/args"
echo "virsh: some warning" >&2
[ "$4" = web7 ] || { echo "error: failed to get domain '$4'" >&2; exit 1; }
printf ' Interface   Type     Source   Model    MAC\\n------------------------------------------------\\n vnet7       bridge   br0      virtio   52:54:00:aa:bb:cc\\n\\n'
`,
      );
      chmodSync(path.join(bin, 'virsh'), 0o755);
      savedPath = process.env.PATH;
    });
    after(() => {
      process.env.PATH = savedPath;
    });

    it('runs virsh without a shell in the C locale and reads its table; a failing virsh gives null', () => {
      process.env.PATH = `${bin}:${savedPath ?? ''}`;
      const savedLocale = process.env.LC_ALL;
      process.env.LC_ALL = 'de_DE.UTF-8';
      try {
        assert.deepEqual(plain(resolveKvmGuest('web7', { runDir })), nic('vnet7', '52:54:00:aa:bb:cc'));
        assert.equal(readFileSync(path.join(bin, 'args'), 'utf8'), '--readonly\ndomiflist\n--domain\nweb7\nLC_ALL=C\n');
        assert.equal(resolveKvmGuest('web8', { runDir }), null);
        assert.match(readFileSync(path.join(bin, 'args'), 'utf8'), /^--readonly\ndomiflist\n--domain\nweb8\n/);
      } finally {
        if (savedLocale === undefined) delete process.env.LC_ALL;
        else process.env.LC_ALL = savedLocale;
      }
    });

    it('gives null when virsh is not installed', () => {
      process.env.PATH = path.join(dir, 'run');
      assert.equal(resolveKvmGuest('web7', { runDir }), null);
    });
  });
});

describe('listKvmGuests (-D)', () => {
  let runDir = '';
  before(() => {
    runDir = mkdtempSync(path.join(tmpdir(), 'kvm-list-'));
    writeFileSync(path.join(runDir, 'web1.xml'), WEB1_XML);
    writeFileSync(path.join(runDir, 'db-2.xml'), domain(`<interface type='hostdev'><mac address='52:54:00:11:22:33'/></interface>`));
    writeFileSync(path.join(runDir, 'bad1.xml'), domain(`<interface type='bridge'><target dev='vnet3'/><mac address='52:54:00:aa:bb'/></interface>`));
    // libvirt's other files there: pid files and per-guest directories; and a name -m would refuse.
    writeFileSync(path.join(runDir, 'web1.pid'), '1234\n');
    mkdirSync(path.join(runDir, 'channel'));
    writeFileSync(path.join(runDir, 'we b.xml'), WEB1_XML);
  });
  after(() => rmSync(runDir, { recursive: true, force: true }));

  it('one entry per live XML, by name: the first NIC with a tap, none, or what was refused', () => {
    const guests = listKvmGuests(runDir);
    assert.deepEqual(
      guests.map((g) => ({ name: g.name, nic: plain(g.nic), problem: g.problem })),
      [
        { name: 'bad1', nic: null, problem: guests[0]!.problem },
        { name: 'db-2', nic: null, problem: undefined },
        { name: 'web1', nic: nic('vnet3', '52:54:00:aa:bb:cc'), problem: undefined },
      ],
    );
    assert.match(guests[0]!.problem!, /^-m\/--kvm: the guest's MAC "52:54:00:aa:bb" .* \(guest bad1, from .*bad1\.xml\)$/);
  });

  it('no run directory (libvirt not installed): no guests', () => {
    assert.deepEqual(listKvmGuests(path.join(runDir, 'no', 'such')), []);
  });
});
