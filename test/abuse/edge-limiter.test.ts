// Issue 9 item 2: the failure limiter must not be usable against honest traffic. Failures are counted per
// purpose (ingest signature per channel, stream token, admin token) and per real client (the rightmost
// untrusted X-Forwarded-For hop behind a trusted proxy); a valid credential is never refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { ADMIN_TOKEN, sign, spawnReceiver, STREAM_TOKEN, type ReceiverProcess } from './lib.ts';

const ATTEMPTS = 30; // the default limit is 20 failures per purpose per client per minute
let rx: ReceiverProcess;
before(async () => { rx = await spawnReceiver({ args: ['--trusted-proxies', '127.0.0.1/32,::1/128'] }); });
after(async () => { await rx.stop(); });

/** As the ingress would send it: the client's own header (forgeable), then the address the proxy saw. */
const via = (client: string, forged?: string): Record<string, string> => ({ 'x-forwarded-for': forged ? `${forged}, ${client}` : client });

const post = async (path: string, body: string, headers: Record<string, string>): Promise<number> =>
  (await fetch(`${rx.base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })).status;
const admin = async (token: string, headers: Record<string, string>): Promise<number> =>
  (await fetch(`${rx.base}/admin/webhook-connect/channels`, { headers: { authorization: `Bearer ${token}`, ...headers } })).status;

/** Opens a stream; resolves with the HTTP status of a refused upgrade, or 101 once the hello frame came. */
function stream(token: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${rx.port}/connect/stream/shop/orders`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    ws.on('error', () => {});
    ws.once('unexpected-response', (_q, res) => { resolve(res.statusCode ?? 0); res.resume(); ws.terminate(); });
    ws.once('message', () => { resolve(101); ws.close(); });
    ws.once('close', (code) => resolve(code === 4001 ? 401 : code));
  });
}

const tally = (codes: number[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const c of codes) out[c] = (out[c] ?? 0) + 1;
  return out;
};

test('after many bad stream tokens, the same client\'s valid webhook, signature, admin token and stream token all pass', async (t) => {
  const attacker = via('198.51.100.1');
  const bad: number[] = [];
  for (let i = 0; i < ATTEMPTS; i++) bad.push(await stream(`hbt_wrong-${i}`, attacker));
  assert.deepEqual(tally(bad), { 401: 20, 429: ATTEMPTS - 20 }, 'bad tokens are refused, 429 past the limit');
  assert.equal(await post('/webhook/shop/orders', '{"a":1}', attacker), 202);
  assert.equal(await post('/webhook/shop/signed', '{"a":1}', { ...attacker, 'x-signature': sign('{"a":1}') }), 202);
  assert.equal(await admin(ADMIN_TOKEN, attacker), 200);
  assert.equal(await stream(STREAM_TOKEN, attacker), 101);
  assert.equal(await stream('hbt_wrong-again', attacker), 429, 'still limited for bad stream tokens');
  t.diagnostic(`stream_token limiter: ${JSON.stringify(tally(bad))}`);
});

test('each purpose is counted apart: bad admin tokens do not limit stream tokens or signatures, and vice versa', async (t) => {
  const c = via('198.51.100.2');
  const adminCodes: number[] = [];
  for (let i = 0; i < ATTEMPTS; i++) adminCodes.push(await admin(`wrong-${i}`, c));
  assert.deepEqual(tally(adminCodes), { 401: 20, 429: ATTEMPTS - 20 });
  assert.equal(await stream('hbt_wrong', c), 401, 'the first bad stream token is an ordinary 401');
  const sigCodes: number[] = [];
  for (let i = 0; i < ATTEMPTS; i++) sigCodes.push(await post('/webhook/shop/signed', '{}', { ...c, 'x-signature': 'sha256=00' }));
  assert.deepEqual(tally(sigCodes), { 401: 20, 429: ATTEMPTS - 20 });
  assert.equal(await post('/webhook/shop/signed', '{}', { ...c, 'x-signature': sign('{}') }), 202, 'a valid signature from the same client');
  assert.equal(await admin(ADMIN_TOKEN, c), 200, 'the valid admin token from the same client');
  t.diagnostic(`admin_token limiter: ${JSON.stringify(tally(adminCodes))}; ingest_signature limiter: ${JSON.stringify(tally(sigCodes))}`);
});

test('a forged X-Forwarded-For can neither block a chosen provider nor escape the limit', async (t) => {
  const attacker = '198.51.100.66';
  const victim = '192.0.2.77';
  const codes: number[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    // The forged part names the victim, then a fresh address each time; the proxy appends the real one.
    codes.push(await post('/webhook/shop/signed', '{}', { ...via(attacker, `${victim}, 203.0.113.${i}`), 'x-signature': 'sha256=00' }));
  }
  assert.deepEqual(tally(codes), { 401: 20, 429: ATTEMPTS - 20 }, 'rotating the forged part does not escape the limit');
  assert.equal(await post('/webhook/shop/signed', '{}', { ...via(victim), 'x-signature': 'sha256=00' }), 401, 'the victim is not limited by the attacker\'s failures');
  assert.equal(await post('/webhook/shop/signed', '{}', { ...via(victim), 'x-signature': sign('{}') }), 202);
  t.diagnostic(`forged X-Forwarded-For: ${JSON.stringify(tally(codes))}`);
});

test('the limits show in hookbridge_auth_failures_total by purpose and outcome', async (t) => {
  const text = await (await fetch(`${rx.base}/metrics`)).text();
  const limited = [...text.matchAll(/^hookbridge_auth_failures_total\{purpose="(\w+)",outcome="limited"\} (\d+)/gm)].map((m) => `${m[1]}=${m[2]}`);
  assert.ok(limited.some((l) => l.startsWith('stream_token=')) && limited.some((l) => l.startsWith('admin_token=')) && limited.some((l) => l.startsWith('ingest_signature=')), text);
  t.diagnostic(`refused (429) per limiter: ${limited.join(', ')}`);
});

test('without --trusted-proxies the header is ignored: a client cannot pick its address', async () => {
  const plain = await spawnReceiver();
  try {
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await fetch(`${plain.base}/webhook/shop/signed`, { method: 'POST', body: '{}', headers: { 'x-forwarded-for': `203.0.113.${i}`, 'x-signature': 'sha256=00' } });
      codes.push(r.status);
    }
    assert.deepEqual(tally(codes), { 401: 20, 429: 5 });
  } finally { await plain.stop(); }
});
