// Run by scripts/wine-smoke-win.sh with Node for Windows under Wine: the Windows addon, loaded
// for real, against scripts/win/fake-wpcap.c. Writes one line per check to argv[3]; "FAIL" marks a failure.
const fs = require('fs');
const a = require(process.argv[2]);
const lines = [];
const check = (what, ok, detail = '') => lines.push(`${ok ? 'ok' : 'FAIL'} ${what}${detail && `: ${detail}`}`);
const code = (f) => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e.code;
  }
};
const done = () => fs.writeFileSync(process.argv[3], `${lines.join('\n')}\n`);

check('node', process.platform === 'win32' && process.arch === 'x64', `${process.version} ${process.platform} ${process.arch}`);
for (const [fn, args] of [['links', [null]], ['setAffinity', [0]], ['lookupUser', ['x']], ['dropPrivileges', [0, 0, []]]]) {
  check(`${fn} throws UNSUPPORTED`, code(() => a[fn](...args)) === 'UNSUPPORTED');
}
check('rawOpen with a device throws UNSUPPORTED', code(() => a.rawOpen(17, 'eth0', -1)) === 'UNSUPPORTED');
check('rawOpen with pmtudisc throws UNSUPPORTED', code(() => a.rawOpen(17, null, 2)) === 'UNSUPPORTED');
check('open with a netns throws UNSUPPORTED', code(() => a.open('x', '', 0, 1, 1, false, () => {}, () => {}, '/proc/1/ns/net')) === 'UNSUPPORTED');
check('open checks its arguments', code(() => a.open('x', '', -1, 1, 1, false, () => {}, () => {})) === 'RANGE');
const fd = a.rawOpen(17, null, -1);
// Two bare UDP headers (port 9 to port 9) to 127.0.0.1, each after its headroom.
const udp = Buffer.from('0009000900080000', 'hex');
const room = Buffer.alloc(a.datagramHeadroom);
check('rawSend sends each datagram', a.rawSend(fd, Buffer.concat([room, udp, room, udp]), new Uint32Array([8, 8]), 0, 2, 0x7f000001) === 2);
a.rawClose(fd);
const { pcap, system } = a.adapters();
check('adapters() joins Npcap and Windows lists', pcap.length === 1 && system.some((s) => s.adapterName === pcap[0].name.slice(12)), JSON.stringify(pcap));
check('open of an absent device throws NODEV', code(() => a.open('\\Device\\NPF_{nope}', '', 0, 1 << 20, 50, false, () => {}, () => {})) === 'NODEV');

let frames = 0;
let batches = 0;
let inOrder = true;
// A batch is its records back to back, then their count and columns (capture_batch.h, a.captureBatch).
const take = (b) => {
  const n = b.readUInt32LE(a.captureBatch.countAt);
  for (let i = 0, o = 0; i < n; i++, o += 16 + b.readUInt32LE(o + 8)) inOrder &&= b.readUInt32LE(o + 16 + 14) === frames++;
};
const r = a.open(pcap[0].name, 'udp', 0, 1 << 20, 50, false, (b) => (batches++, take(b)), (m) => check('no onError', false, m));
check('open', r.linktype === 1 && r.nanos === false);
a.resume(r.handle);
setTimeout(() => {
  a.pause(r.handle);
  const before = batches;
  setTimeout(() => {
    check('no batch while paused', batches === before, `${batches - before} batches`);
    const drained = a.drain(r.handle);
    if (drained) take(drained);
    a.resume(r.handle);
    setTimeout(() => {
      check('every frame once, in order', frames === 500 && inOrder, `${frames} frames in ${batches} batches`);
      check('stats', JSON.stringify(a.stats(r.handle)) === '[500,0,0]', JSON.stringify(a.stats(r.handle)));
      a.close(r.handle);
      a.close(r.handle);
      check('stats after close', a.stats(r.handle) === undefined);
      // A handle left open (paused: it does not keep Node alive): closed at the environment's teardown, which must not crash.
      const left = a.open(pcap[0].name, '', 0, 1 << 20, 0, false, () => {}, () => {}).handle;
      a.resume(left);
      a.pause(left);
      done();
    }, 1500);
  }, 300);
}, 300);
