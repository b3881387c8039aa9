import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ourTcpSendQueues, parseTcpTable } from '../../lib/sinks/tcp-send-queue.js';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C35A 0100007F:15B3 01 0000A2F0:00000000 01:00000014 00000000     0        0 2222 1 0000000000000000 20 4 30 10 -1
`;

test('parses the kernel TCP table: remote address and port, state, unacknowledged bytes, inode', () => {
  assert.deepEqual(parseTcpTable(TABLE, true), [
    { remote: '0.0.0.0:0', established: false, txQueue: 0, inode: 1111 },
    { remote: '127.0.0.1:5555', established: true, txQueue: 0xa2f0, inode: 2222 },
  ]);
  // A big-endian host prints the address word the other way round.
  assert.equal(parseTcpTable(TABLE, false)[1]!.remote, '1.0.0.127:5555');
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
