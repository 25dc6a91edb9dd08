// `hookbridge receiver` as a process: flags and their env equivalents, a minted token shown once on stderr
// (never in the JSON logs), and a clean exit on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { post, request } from './test-support.ts';
import { eventually } from '../test/harness/eventually.ts';

const CLI = path.join(import.meta.dirname, '..', 'cli', 'main.ts');
const MANIFESTS = `
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: orders, namespace: shop}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: sink, namespace: shop}
spec:
  channelRef: {name: orders}
  destination: {url: "http://127.0.0.1:9/hook"}
`;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test('runs from manifests with env flags, prints a minted token once to stderr, exits 0 on SIGTERM', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-rx-main-'));
  fs.writeFileSync(path.join(dir, 'shop.yaml'), MANIFESTS);
  fs.writeFileSync(path.join(dir, 'admin'), 'file-admin-token\n');
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'receiver', '-f', dir, '--host', '127.0.0.1', '--admin-token-file', path.join(dir, 'admin')], {
    env: { ...process.env, HOOKBRIDGE_PORT: String(port), HOOKBRIDGE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += String(c); });
  child.stderr.on('data', (c) => { stderr += String(c); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await request('GET', `${base}/readyz`).catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 20_000 });
    const token = /--token (hbt_[A-Za-z0-9_-]+)/.exec(stderr)?.[1];
    assert.ok(token, `a listen command with the token on stderr:\n${stderr}`);
    assert.match(stderr, new RegExp(`hookbridge listen --receiver ${base} --subscription shop/sink -f ${dir} --token hbt_\\S+\n`));
    assert.equal((await post(base, '/webhook/shop/orders', '{}')).status, 202);
    const admin = await request('GET', `${base}/admin/webhook-connect/channels`, undefined, { authorization: 'Bearer file-admin-token' });
    assert.equal(admin.status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(stderr.split(token).length - 1, 1, 'the token is shown exactly once');
    assert.ok(!stdout.includes(token) && !stdout.includes('file-admin-token'), 'never in the logs');
    assert.match(stdout, /"msg":"receiver stopped"/);
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2 with a message', async () => {
  const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [CLI, 'receiver', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += String(d); });
    c.once('exit', (code) => resolve({ code, stderr }));
  });
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /-f\/--file .* or --kube-namespace/);
  const bad = await run(['-f', '/nonexistent-dir-for-hookbridge', '--port', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /reading manifests/);
  const oldFlag = await run(['-f', '/nonexistent-dir-for-hookbridge', '--trust-proxy']);
  assert.equal(oldFlag.code, 2);
  assert.match(oldFlag.stderr, /--trust-proxy .* was replaced by --trusted-proxies/);
  const badCidr = await run(['-f', '/nonexistent-dir-for-hookbridge', '--trusted-proxies', '10.0.0.0/8,example.com']);
  assert.equal(badCidr.code, 2);
  assert.match(badCidr.stderr, /--trusted-proxies: not an IPv4 or IPv6 CIDR: "example.com"/);
  const badEnv = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [CLI, 'receiver', '-f', '/nonexistent-dir-for-hookbridge'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOOKBRIDGE_TRUSTED_PROXIES: '10.0.0.0/8,fd00::/129' } });
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += String(d); });
    c.once('exit', (code) => resolve({ code, stderr }));
  });
  assert.equal(badEnv.code, 2, 'HOOKBRIDGE_TRUSTED_PROXIES is the same list');
  assert.match(badEnv.stderr, /not an IPv4 or IPv6 CIDR: "fd00::\/129"/);
  const tiny = await run(['-f', '/nonexistent-dir-for-hookbridge', '--history-max-bytes', '1000']);
  assert.equal(tiny.code, 2);
  assert.match(tiny.stderr, /--history-max-bytes must be .* at least 1048576/);
  const noChannels = await run(['-f', '/nonexistent-dir-for-hookbridge', '--rabbitmq-channels-per-connection', '0']);
  assert.equal(noChannels.code, 2);
  assert.match(noChannels.stderr, /--rabbitmq-channels-per-connection must be a whole number from 1 to 65535, got 0/);
  const url = await run(['-f', '/nonexistent-dir-for-hookbridge', '--rabbitmq-url', 'amqp://u:p@a:5672/x,http://u:secret@b:5672']);
  assert.equal(url.code, 2);
  assert.match(url.stderr, /--rabbitmq-url: not an amqp:\/\/ or amqps:\/\/ URL/);
  assert.ok(!url.stderr.includes('secret'), 'the credentials are not echoed');
});
