import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { closeNow, listen } from './listen.ts';

test('listen resolves with the bound port and rejects when the port is taken', async () => {
  const a = http.createServer((_req, res) => res.end('a'));
  const port = await listen(a, 0, '127.0.0.1');
  assert.ok(port > 0);
  const b = http.createServer();
  await assert.rejects(listen(b, port, '127.0.0.1'), /EADDRINUSE/);
  await closeNow(a);
});

test('closeNow ends a keep-alive connection that server.close() alone would wait for', async () => {
  const server = http.createServer((_req, res) => res.end('ok'));
  const port = await listen(server, 0, '127.0.0.1');
  const agent = new http.Agent({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
  });
  await closeNow(server); // would hang on the idle keep-alive socket without closeAllConnections
  assert.equal(server.listening, false);
  agent.destroy();
});
