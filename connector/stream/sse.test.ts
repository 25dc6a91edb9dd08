import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../shared/logger.ts';
import { dialSse, parseEvents } from './sse.ts';

import { track } from '../testing/cleanup.ts';
import { eventually } from '../../test/harness/eventually.ts';

test('parseEvents: event and data lines, comments, multi-line data, an unfinished tail kept', () => {
  const got: [string, string][] = [];
  const tail = parseEvents(': keep-alive\n\nevent: hello\ndata: {"a":1}\n\ndata: x\ndata: y\r\n\r\nevent: message\ndata: {"b"', (e, d) => got.push([e, d]));
  assert.deepEqual(got, [['hello', '{"a":1}'], ['message', 'x\ny']]);
  assert.equal(tail, 'event: message\ndata: {"b"');
});

test('an orderly close waits for acks still being posted, so none arrives after the stream ended', async () => {
  const order: string[] = [];
  let posts = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: hello\ndata: ${JSON.stringify({ type: 'hello', session: 's1', channel: 'a/b', subscription: 'a/c', window: 2, heartbeatMs: 60_000, ackTimeoutMs: 30_000 })}\n\n`);
      req.on('close', () => order.push('stream closed'));
      return;
    }
    // the first POST is slow to arrive (read late, as through a congested proxy): the close must not overtake it
    setTimeout(() => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { order.push(`ack ${Buffer.concat(chunks).toString()}`); res.writeHead(204).end(); });
    }, ++posts === 1 ? 150 : 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  track({ close: () => { server.closeAllConnections(); server.close(); } });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed!: (v: number) => void;
  const ended = new Promise<number>((r) => { closed = r; });
  const t = dialSse({
    url: `${base}/connect/stream/a/b/sse`, ackUrl: `${base}/connect/ack/a/b`, token: 'hbt_x', connectTimeoutMs: 2000,
    logger: createLogger({ name: 't', level: 'silent' }),
    handlers: {
      onFrame: (f) => {
        if (f.type !== 'hello') return;
        t.send({ type: 'ack', id: 'm1' });
        setTimeout(() => { t.send({ type: 'ack', id: 'm2' }); t.close(1000, 'retired'); }, 30);
      },
      onClose: (code) => closed(code),
    },
  });
  assert.equal(await ended, 1000);
  await eventually(() => order.includes('stream closed'), { message: 'the server saw the stream end' });
  assert.deepEqual(order, ['ack {"type":"ack","id":"m2"}', 'ack {"type":"ack","id":"m1"}', 'stream closed']);
});
