import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { signatureHeaders } from '../shared/signing.ts';
import { startEcho } from './echo.ts';

const SECRET = 'whsec_' + Buffer.from('echo-test-secret-echo-test-secre').toString('base64');

test('prints method, path, headers, body and a verified signature; answers --status', async () => {
  const out: string[] = [];
  const echo = await startEcho({ port: 0, secret: SECRET, status: 202, out: (t) => out.push(t) });
  const body = Buffer.from('{"hello":"world"}');
  const headers = { 'content-type': 'application/json', ...signatureHeaders('standard-webhooks', [SECRET], 'msg_1', Math.floor(Date.now() / 1000), body) };
  const res = await request(`${echo.url}/hooks`, { method: 'POST', headers, body });
  assert.equal(res.statusCode, 202);
  await res.body.dump();
  const text = out.join('');
  assert.match(text, /── POST \/hooks/);
  assert.match(text, /webhook-id: msg_1/);
  assert.match(text, /\{"hello":"world"\}/);
  assert.match(text, /signature: ✓ valid \(standard-webhooks\)/);
  const bad = await request(`${echo.url}/hooks`, { method: 'POST', headers, body: Buffer.from('{"hello":"tampered"}') });
  await bad.body.dump();
  assert.match(out.join(''), /signature: ✗ INVALID/);
  await echo.close();
});

test('binary bodies are shown as base64; --fail-rate answers 500', async () => {
  const out: string[] = [];
  const echo = await startEcho({ port: 0, failRate: 1, out: (t) => out.push(t) });
  const res = await request(echo.url, { method: 'POST', body: Buffer.from([0xff, 0x00, 0xfe]) });
  assert.equal(res.statusCode, 500);
  await res.body.dump();
  assert.match(out.join(''), /\(binary body, base64\) /u);
  assert.match(out.join(''), /← 500 \(--fail-rate\)/);
  await echo.close();
});
