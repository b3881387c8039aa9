import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ourTcpSendQueues } from '../../lib/sinks/tcp-send-queue.js';

// The addon's tcpSendQueues (lib/native/tcp_queues.c), as ZmqSink reads it; also run under the sanitizers.

test('tcpSendQueues: our connection to a receiver that reads nothing shows unacknowledged bytes; once it reads, none; once closed, gone', async (t) => {
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
  assert.equal(ourTcpSendQueues().get(`127.0.0.1:${client.localPort}`), 0, 'the accepted end is ours too');
  // More than the receiver's window: part of it stays unacknowledged.
  client.write(Buffer.alloc(16 << 20));
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(ourTcpSendQueues().get(endpoint)! > 0);
  peer!.resume();
  for (let i = 0; i < 100 && ourTcpSendQueues().get(endpoint) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(ourTcpSendQueues().get(endpoint), 0);
  client.destroy();
  assert.equal(ourTcpSendQueues().has(endpoint), false, 'a closed connection is gone');
});
