// A connector that cannot reach its receiver says why (issue 8: it logged only `stream closed: code 1006`):
// the refused address, the TLS failure, the HTTP status of a refused upgrade, the host that did not
// resolve — and never the token.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../shared/logger.ts';
import { track } from '../testing/cleanup.ts';

import { StreamClient } from './client.ts';
import { dialSse } from './sse.ts';
import { describeDialError } from './transport.ts';
import { ackUrl, sseUrl, websocketUrl } from './url.ts';
import { dialWebSocket } from './websocket.ts';
import { eventually } from '../../test/harness/eventually.ts';

const TOKEN = 'hbt_dialerrorsecretdialerrorsecretdialerror';
const channel = { namespace: 'demo', name: 'github' };

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A plain HTTP server answering every request with `status` (a proxy with no backend, a wrong port). */
async function answering(status: number) {
  const srv = createServer((_req, res) => { res.writeHead(status, { 'content-type': 'text/plain' }).end('upstream connect error'); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return track({ port: (srv.address() as AddressInfo).port, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }) });
}

/** Starts a stream client against `receiverUrl` and returns its log lines once one says the stream closed. */
async function closedLog(receiverUrl: string, sse: boolean): Promise<string> {
  const logs: string[] = [];
  const logger = createLogger({ name: 't', level: 'debug', destination: new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }) });
  const client = new StreamClient({
    url: sse ? sseUrl(receiverUrl, channel, 4) : websocketUrl(receiverUrl, channel, 4),
    ackUrl: ackUrl(receiverUrl, channel),
    dial: sse ? dialSse : dialWebSocket,
    token: { read: async () => TOKEN, onChange: () => () => {} },
    events: { onMessage: () => {} },
    logger,
    backoff: { baseMs: 60_000, capMs: 60_000, slowFloorMs: 60_000 },
  });
  track({ close: () => client.stop() });
  client.start();
  await eventually(() => logs.some((l) => l.includes('stream closed')), { message: 'a stream closed line' });
  const text = logs.join('');
  assert.ok(!text.includes(TOKEN) && !text.includes('dialerrorsecret'), 'the token never reaches the log');
  return logs.find((l) => l.includes('stream closed')) as string;
}

for (const sse of [false, true]) {
  const kind = sse ? 'sse' : 'websocket';

  test(`${kind}: a refused connection logs the address that refused it`, async () => {
    const port = await closedPort();
    const line = await closedLog(`http://127.0.0.1:${port}`, sse);
    assert.match(line, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`), line);
  });

  test(`${kind}: TLS spoken to a plain HTTP port logs the TLS error`, async () => {
    const srv = await answering(200);
    const line = await closedLog(`https://127.0.0.1:${srv.port}`, sse);
    assert.match(line, /TLS: packet length too long \((ERR_SSL_[A-Z_]+|EPROTO)\)/, line);
  });

  test(`${kind}: an upgrade refused with an HTTP status logs that status`, async () => {
    const srv = await answering(502);
    const line = await closedLog(`http://127.0.0.1:${srv.port}`, sse);
    assert.match(line, /HTTP 502/, line);
  });
}

test('describeDialError: DNS, connect and TLS errors in the words a person acts on', () => {
  // Shapes as node:dns and node:net build them.
  const dns = Object.assign(new Error('getaddrinfo ENOTFOUND hookbridge-receiver.hookbridge-system.svc'),
    { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: 'hookbridge-receiver.hookbridge-system.svc' });
  assert.equal(describeDialError(dns), 'cannot resolve host hookbridge-receiver.hookbridge-system.svc (ENOTFOUND)');
  const again = Object.assign(new Error('getaddrinfo EAI_AGAIN receiver'), { code: 'EAI_AGAIN', hostname: 'receiver' });
  assert.equal(describeDialError(again), 'cannot resolve host receiver (EAI_AGAIN)');
  const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:8080`), { code: 'ECONNREFUSED', address, port: 8080 });
  assert.equal(describeDialError(new AggregateError([refused('::1'), refused('127.0.0.1')], '')),
    'connection refused by ::1:8080 (ECONNREFUSED); connection refused by 127.0.0.1:8080 (ECONNREFUSED)', 'happy eyeballs: every address');
  assert.equal(describeDialError(new TypeError('fetch failed', { cause: refused('10.0.0.7') })), 'connection refused by 10.0.0.7:8080 (ECONNREFUSED)');
  const cert = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  assert.equal(describeDialError(cert), 'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
  assert.equal(describeDialError(new Error('Opening handshake has timed out')), 'Opening handshake has timed out');
});
