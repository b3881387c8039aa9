/**
 * -Z USER for real, in a namespace the test makes: after start-up the agent
 * runs as USER with only CAP_NET_RAW and CAP_NET_ADMIN (every thread), its
 * dump files belong to USER, and capture still reopens after the interface
 * goes down and up.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { collect, FIXTURES, runCli, startCli, waitForSize, waitForStderr } from '../helpers/cli.js';
import { deleteNetns, ip, netnsAvailable, replay } from '../helpers/netns.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';

const SAMPLE = join(FIXTURES, 'sample.pcap');
const NOBODY = 65534;
/** CAP_NET_ADMIN (12) and CAP_NET_RAW (13). */
const NET_CAPS = (1n << 12n) | (1n << 13n);

/** Uid, Gid and CapEff of a task, from /proc. */
function credentials(path: string): { uid: string; gid: string; capEff: bigint } {
  const status = readFileSync(join(path, 'status'), 'utf8');
  return {
    uid: /^Uid:\s+(.*)$/m.exec(status)![1]!,
    gid: /^Gid:\s+(.*)$/m.exec(status)![1]!,
    capEff: BigInt(`0x${/^CapEff:\s+(\w+)$/m.exec(status)![1]}`),
  };
}

describe('-Z USER', { skip: !netnsAvailable() && 'needs root' }, () => {
  test('runs as USER with CAP_NET_RAW and CAP_NET_ADMIN only; files are USER\'s; capture reopens after a flap', { timeout: 60_000 }, async (t) => {
    assertPrerequisites();
    const ns = `paz${process.pid}`;
    const peer = `${ns}p`;
    for (const n of [ns, peer]) {
      ip('netns', 'add', n);
      t.after(() => deleteNetns(n));
    }
    ip('-n', ns, 'link', 'add', 'z1', 'type', 'veth', 'peer', 'name', 'z0', 'netns', peer);
    for (const [n, dev] of [[ns, 'z1'], [peer, 'z0']] as const) {
      execFileSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
      ip('-n', n, 'link', 'set', dev, 'up');
    }
    const base = mkdtempSync(join(tmpdir(), 'pa-z-'));
    // As /var/lib/packet-agent is: others may pass through to the directories USER owns.
    chmodSync(base, 0o755);
    const out = join(base, 'dump');
    const agent = startCli(t, 'pktminerg', ['-Z', 'nobody', '-i', 'z1', '--dump', out], { netns: ns });
    const done = collect(agent);
    await waitForStderr(agent, /running as nobody \(uid 65534, gid 65534\), keeping CAP_NET_RAW, CAP_NET_ADMIN/);

    const proc = `/proc/${agent.pid}`;
    for (const task of readdirSync(join(proc, 'task'))) {
      const c = credentials(join(proc, 'task', task));
      assert.equal(c.uid, `${NOBODY}\t${NOBODY}\t${NOBODY}\t${NOBODY}`, `task ${task} uid`);
      assert.equal(c.gid, `${NOBODY}\t${NOBODY}\t${NOBODY}\t${NOBODY}`, `task ${task} gid`);
      assert.equal(c.capEff & ~NET_CAPS, 0n, `task ${task} has no other capability`);
    }
    assert.equal(credentials(proc).capEff, NET_CAPS, 'the JavaScript thread keeps exactly the two');

    replay(peer, 'z0', SAMPLE);
    const first = join(out, 'z1', 'pktminerg_dump.pcap');
    await waitForSize(first, 24 + 8 * 16 + 5496);
    ip('-n', ns, 'link', 'set', 'z1', 'down');
    await waitForStderr(agent, /waiting for z1: interface is down/);
    ip('-n', ns, 'link', 'set', 'z1', 'up');
    await waitForStderr(agent, /capturing on z1/);
    replay(peer, 'z0', SAMPLE);
    const second = join(out, 'z1', 'pktminerg_dump.1.pcap');
    await waitForSize(second, 24 + 8 * 16 + 5496);
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 16 packets/);
    for (const f of [join(out, 'z1'), first, second]) assert.equal(statSync(f).uid, NOBODY, `${f} belongs to nobody`);
  });

  test('an unknown user is one line and exit 1, before anything is opened', async (t) => {
    const out = join(mkdtempSync(join(tmpdir(), 'pa-z-')), 'dump');
    const r = await runCli(t, 'pktminerg', ['-Z', 'no-such-user-x', '-f', SAMPLE, '--dump', out]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "pktminerg: -Z/--user: no user named 'no-such-user-x'\n");
  });
});
