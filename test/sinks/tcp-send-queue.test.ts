import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ourTcpSendQueues, parseTcpRow, tcpRowsOf } from '../../lib/sinks/tcp-send-queue.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const LISTEN = '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0';
const OURS = '   1: 0100007F:C35A 0100007F:15B3 01 0000A2F0:00000000 01:00000014 00000000     0        0 2222 1 0000000000000000 20 4 30 10 -1';
// Another socket whose uid is 2222 and whose inode contains 222: neither may pass for inode 2222 or 222.
const DECOY = '   2: 0100007F:C35B 0100007F:15B4 01 00000010:00000000 01:00000014 00000000  2222        0 12223 1 0000000000000000 20 4 30 10 -1';
const TABLE = [HEADER, DECOY, LISTEN, OURS, ''].join('\n');

test('parses a row of the kernel TCP table: remote address and port, state, unacknowledged bytes, inode', () => {
  assert.deepEqual(parseTcpRow(LISTEN, true), { remote: '0.0.0.0:0', established: false, txQueue: 0, inode: 1111 });
  assert.deepEqual(parseTcpRow(OURS, true), { remote: '127.0.0.1:5555', established: true, txQueue: 0xa2f0, inode: 2222 });
  // A big-endian host prints the address word the other way round.
  assert.equal(parseTcpRow(OURS, false)!.remote, '1.0.0.127:5555');
  assert.equal(parseTcpRow(HEADER, true), null);
  assert.equal(parseTcpRow('', true), null);
});

test('tcpRowsOf finds the rows of the inodes asked for, by their inode field only', () => {
  assert.deepEqual(tcpRowsOf(TABLE, new Set([2222]), true).map((r) => r.inode), [2222], 'not the row whose uid is 2222');
  assert.deepEqual(tcpRowsOf(TABLE, new Set([222, 1223]), true), [], 'not a part of another number');
  assert.deepEqual(tcpRowsOf(TABLE, new Set([1111, 12223, 2222]), true).map((r) => r.inode), [1111, 12223, 2222]);
  // The last row without its newline.
  assert.deepEqual(tcpRowsOf(TABLE.trimEnd(), new Set([2222]), true).map((r) => r.txQueue), [0xa2f0]);
});

test('our connection to a receiver that reads nothing shows unacknowledged bytes; once it reads, none', async (t) => {
  const server = createServer();
  let peer: Socket | null = null;
  server.on('connection', (s) => {
    peer = s;
    s.pause();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  t.after(() => {
    client.destroy();
    server.close();
  });
  await once(client, 'connect');
  const endpoint = `127.0.0.1:${port}`;
  assert.equal(ourTcpSendQueues().get(endpoint), 0);
  // More than the receiver's window: part of it stays unacknowledged.
  client.write(Buffer.alloc(16 << 20));
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(ourTcpSendQueues().get(endpoint)! > 0);
  peer!.resume();
  for (let i = 0; i < 100 && ourTcpSendQueues().get(endpoint) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(ourTcpSendQueues().get(endpoint), 0);
});
