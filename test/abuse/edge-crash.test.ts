// Issue 9 item 1: one unauthenticated request must not kill the receiver. These request targets threw
// `TypeError: Invalid URL` out of the WebSocket upgrade listener and ended the process.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rawRequest, spawnReceiver, type ReceiverProcess } from './lib.ts';

let rx: ReceiverProcess;
before(async () => { rx = await spawnReceiver(); });
after(async () => { await rx.stop(); });

const upgrade = (target: string): string =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

const TARGETS = ['//[/', 'http://%%/', 'http://[::1/', '//[/connect/stream/shop/orders', 'http://%%/connect/stream/shop/orders/sse', '/connect/stream/%/orders', '*'];

for (const target of TARGETS) {
  test(`an upgrade to ${JSON.stringify(target)} is refused and the receiver stays up`, async () => {
    const a = await rawRequest(rx.port, upgrade(target));
    assert.ok(a.status !== undefined && a.status >= 400 && a.status < 500, `4xx, got ${a.status}: ${a.head}`);
    assert.ok(rx.alive(), `the receiver exited:\n${rx.output()}`);
    assert.equal((await fetch(`${rx.base}/healthz`)).status, 200);
  });

  test(`GET/POST ${JSON.stringify(target)} (no upgrade) are answered 4xx and the receiver stays up`, async () => {
    for (const method of ['GET', 'POST']) {
      const a = await rawRequest(rx.port, `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`);
      assert.ok(a.status !== undefined && a.status >= 400 && a.status < 500, `${method}: 4xx, got ${a.status}: ${a.head}`);
    }
    assert.ok(rx.alive(), `the receiver exited:\n${rx.output()}`);
  });
}

test('an SSE stream request whose target is an absolute URL with a bad host is answered, not a 500', async () => {
  const a = await rawRequest(rx.port, 'GET http://%%/connect/stream/shop/orders/sse?window=2 HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(a.status !== undefined && a.status !== 500 && a.status < 500, `got ${a.status}: ${a.head}`);
  assert.ok(rx.alive());
});

test('an upgrade with a bad token followed by bytes that are not WebSocket frames does not end the process', async () => {
  // Found by the fuzzer: the refused stream's WebSocket had no 'error' listener, so an invalid frame threw.
  for (const token of ['', 'Authorization: Bearer hbt_wrong\r\n']) {
    const head = upgrade('/connect/stream/shop/orders').replace('\r\n\r\n', `\r\n${token}\r\n`);
    // Read until the receiver closes: by then it has parsed the bytes after the head.
    const a = await rawRequest(rx.port, Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from([0xff, 0xff, 0x00, 0x01, 0x02, 0x03])]), { untilClose: true, halfClose: false });
    assert.ok(a.status === 101 || (a.status !== undefined && a.status >= 400 && a.status < 500), `got ${a.status}: ${a.head}`);
  }
  assert.equal((await fetch(`${rx.base}/healthz`)).status, 200);
  assert.ok(rx.alive(), `the receiver exited:\n${rx.output()}`);
});

