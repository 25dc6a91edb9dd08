// `hookbridge connector` and `hookbridge listen` as processes against the real receiver (MemoryBuffer):
// the config file is re-read when it changes, /metrics exposes the connector rows of docs/metrics.md,
// SIGTERM drains and exits 0; listen prints one line per delivery.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { MemoryBuffer } from '../../receiver/buffer/memory/index.ts';
import { scriptedDestination, startRig, SUB } from '../../connector/testing/relay.ts';
import { eventually } from '../harness/eventually.ts';

const root = new URL('../../', import.meta.url).pathname;

function spawnCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOOKBRIDGE_LOG_LEVEL: 'info', ...env } });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

const CONNECTOR_METRICS = [
  'hookbridge_delivery_attempts_total', 'hookbridge_delivery_duration_seconds', 'hookbridge_delivery_retries_total',
  'hookbridge_deliveries_in_flight', 'hookbridge_circuit_state', 'hookbridge_connector_connected', 'hookbridge_connector_reconnects_total',
];

test('hookbridge connector: config re-read on change, /metrics, SIGTERM exits 0', async () => {
  const a = await scriptedDestination(() => ({ status: 200 }));
  const b = await scriptedDestination(() => ({ status: 200 }));
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const r = await startRig({ buffer, destinationUrl: a.url });
  const file = join(r.secretsDir, 'config.json');
  writeFileSync(file, JSON.stringify(r.config));
  const p = spawnCli(['connector', '--config', file, '--secrets-dir', r.secretsDir, '--metrics-port', '0', '--metrics-host', '127.0.0.1']);
  try {
    await eventually(() => { const o = p.out(); return o.includes('"msg":"connected"') && o.includes('metricsPort'); }, { message: 'connector connected', timeoutMs: 20_000, intervalMs: 50 });
    await r.post('one');
    await a.count(1);

    // a ConfigMap update: new file renamed over the old one
    writeFileSync(`${file}.new`, JSON.stringify({ ...r.config, subscriptions: [{ ...r.config.subscriptions[0], destination: { url: b.url } }] }));
    renameSync(`${file}.new`, file);
    await eventually(() => p.out().includes('config changed: applying'), { message: 'config reloaded', timeoutMs: 20_000, intervalMs: 50 });
    await r.post('two');
    await b.count(1);
    assert.equal(a.received.length, 1);

    // a broken update is refused; the running config keeps working
    writeFileSync(`${file}.new`, '{"receiverUrl": 42}');
    renameSync(`${file}.new`, file);
    await eventually(() => p.out().includes('config change refused'), { message: 'bad config refused', timeoutMs: 20_000, intervalMs: 50 });
    await r.post('three');
    await b.count(2);

    const port = Number(/"metricsPort":(\d+)/.exec(p.out())?.[1]);
    const res = await request(`http://127.0.0.1:${port}/metrics`);
    const text = await res.body.text();
    for (const name of CONNECTOR_METRICS) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /hookbridge_delivery_attempts_total\{namespace="shop",subscription="sink",outcome="success",code_class="2xx"\} 3/);
    assert.equal((await request(`http://127.0.0.1:${port}/readyz`)).statusCode, 200);
    assert.ok(!p.out().includes(r.token), 'token never logged');

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.match(p.out(), /"msg":"connector stopped"/);
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await r.close();
    await buffer.close();
    await a.close();
    await b.close();
  }
});

test('hookbridge connector --receiver-url / $HOOKBRIDGE_RECEIVER_URL overrides the config file, also after a re-read', async () => {
  const a = await scriptedDestination(() => ({ status: 200 }));
  const b = await scriptedDestination(() => ({ status: 200 }));
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const r = await startRig({ buffer, destinationUrl: a.url });
  const file = join(r.secretsDir, 'config.json');
  // the file names a receiver this machine cannot reach (a cluster-internal address, say)
  const elsewhere = { ...r.config, receiverUrl: 'http://127.0.0.1:9/' };
  writeFileSync(file, JSON.stringify(elsewhere));
  const bad = spawnCli(['connector', '--config', file, '--secrets-dir', r.secretsDir, '--receiver-url', 'ftp://example.com']);
  const p = spawnCli(['connector', '--config', file, '--secrets-dir', r.secretsDir, '--metrics-port', '0', '--metrics-host', '127.0.0.1'], { HOOKBRIDGE_RECEIVER_URL: r.rx.url });
  try {
    assert.equal(await bad.exited, 2);
    assert.match(bad.out(), /--receiver-url must be an absolute http\(s\) or ws\(s\) URL/);

    await eventually(() => p.out().includes('"msg":"connected"'), { message: 'connector connected through the override', timeoutMs: 20_000, intervalMs: 50 });
    await r.post('one');
    await a.count(1);

    // the ConfigMap changes (new destination, same unreachable receiverUrl): the override still applies
    writeFileSync(`${file}.new`, JSON.stringify({ ...elsewhere, subscriptions: [{ ...elsewhere.subscriptions[0], destination: { url: b.url } }] }));
    renameSync(`${file}.new`, file);
    await eventually(() => p.out().includes('config changed: applying'), { message: 'config reloaded', timeoutMs: 20_000, intervalMs: 50 });
    await r.post('two');
    await b.count(1);
    assert.equal(a.received.length, 1);
    assert.doesNotMatch(p.out(), /127\.0\.0\.1:9\b|ECONNREFUSED/, 'the config file\'s receiverUrl was never dialled');

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    if (bad.child.exitCode === null) bad.child.kill('SIGKILL');
    await r.close();
    await buffer.close();
    await a.close();
    await b.close();
  }
});

test('hookbridge connector --subscriptions serves only the named Subscriptions of the config (a sidecar)', async () => {
  const a = await scriptedDestination(() => ({ status: 200 }));
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const r = await startRig({ buffer, destinationUrl: a.url });
  const file = join(r.secretsDir, 'config.json');
  // The namespace's sidecar config lists another pod's Subscription too, whose token this pod does not mount.
  const other = { ...r.config.subscriptions[0], name: 'other', tokenFile: 'secrets/other-hookbridge-token/token' };
  writeFileSync(file, JSON.stringify({ ...r.config, subscriptions: [...r.config.subscriptions, other] }));
  const p = spawnCli(['connector', '--config', file, '--secrets-dir', r.secretsDir, '--metrics-port', '0', '--metrics-host', '127.0.0.1',
    '--subscriptions', `${r.config.subscriptions[0].name},later`]);
  try {
    await eventually(() => p.out().includes('"msg":"connected"'), { message: 'connector connected', timeoutMs: 20_000, intervalMs: 50 });
    await r.post('one');
    await a.count(1);
    assert.match(p.out(), /"subscriptions":\["later"\].*not in the config/, 'a named Subscription the config lacks is reported');
    assert.doesNotMatch(p.out(), /"subscription":"shop\/other"/, 'the Subscription not named is never started');
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await r.close();
    await buffer.close();
    await a.close();
  }
});

test('hookbridge listen: forwards to a local URL and prints one line per delivery', async () => {
  const dest = await scriptedDestination((n) => ({ status: n === 1 ? 200 : 404 }));
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const r = await startRig({ buffer, destinationUrl: 'http://unused.invalid/' });
  // the token comes from the environment ($HOOKBRIDGE_TOKEN), like every flag, so it is not in `ps`
  const env = spawn(process.execPath, ['cli/main.ts', 'listen', '--receiver', r.rx.url, '--channel', `${r.channel.namespace}/${r.channel.name}`, '--forward-to', dest.url], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOOKBRIDGE_TOKEN: r.token },
  });
  let out = '';
  env.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  env.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await eventually(() => out.includes('Your webhook signing secret is whsec_'), { message: 'listen started', timeoutMs: 20_000, intervalMs: 50 });
    const ok = await r.post('{"a":1}', { 'content-type': 'application/json' });
    const missing = await r.post('{"a":2}');
    await eventually(() => out.includes(ok) && out.includes(missing), { message: 'two delivery lines', timeoutMs: 20_000, intervalMs: 50 });
    // stdout is a pipe here, so one JSON object per delivery
    const lines = out.split('\n').filter((l) => l.startsWith('{"time"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.find((l) => l.id === ok), { ...lines.find((l) => l.id === ok), outcome: 'success', status: 200, attempt: 1, eventType: null });
    const dead: Record<string, unknown> | undefined = lines.find((l) => l.id === missing);
    assert.match(String(dead?.reason), /HTTP 404/);
    assert.deepEqual(dead, { ...dead, outcome: 'dead', status: 404 });
    assert.ok(!out.includes(r.token), 'token never printed');
    env.kill('SIGINT');
    assert.equal(await new Promise((res) => env.once('exit', res)), 0);
  } finally {
    if (env.exitCode === null) env.kill('SIGKILL');
    await r.close();
    await buffer.close();
    await dest.close();
  }
});

test('hookbridge listen: Ctrl-C lets the delivery in flight finish (acked, printed), then exits 0', async () => {
  const held: ServerResponse[] = [];
  const dest = createServer((req, res) => { req.resume(); req.on('end', () => held.push(res)); });
  await new Promise<void>((r) => dest.listen(0, '127.0.0.1', r));
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const r = await startRig({ buffer, destinationUrl: 'http://unused.invalid/' });
  const p = spawnCli(['listen', '--receiver', r.rx.url, '--channel', `${r.channel.namespace}/${r.channel.name}`, '--forward-to', `http://127.0.0.1:${(dest.address() as AddressInfo).port}/`], { HOOKBRIDGE_TOKEN: r.token });
  try {
    await eventually(() => p.out().includes('Ready.'), { message: 'listen started', timeoutMs: 20_000, intervalMs: 50 });
    const id = await r.post('{"slow":true}');
    await eventually(() => held.length === 1, { message: 'the delivery in flight at the destination', timeoutMs: 20_000, intervalMs: 50 });
    p.child.kill('SIGINT');
    await eventually(() => p.out().includes('Stopping: finishing deliveries in flight'), { message: 'listen draining', timeoutMs: 20_000, intervalMs: 50 });
    held[0].writeHead(200).end();
    assert.equal(await p.exited, 0);
    const line = p.out().split('\n').find((l) => l.includes(`"id":"${id}"`));
    assert.ok(line, p.out());
    assert.deepEqual(JSON.parse(line), { ...JSON.parse(line), outcome: 'success', status: 200 });
    assert.equal((await r.history(id))?.subscriptions[`${SUB.namespace}/${SUB.name}`]?.state, 'delivered', 'acked before the stream closed');
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    dest.closeAllConnections();
    await new Promise((res) => dest.close(res));
    await r.close();
    await buffer.close();
  }
});
