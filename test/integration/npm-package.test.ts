// The package as a user gets it: `npm pack` (prepack emits JavaScript), installed from the tarball into an
// empty folder, run with npx from there — `--version`, a `dev` receiver and `listen --subscription` — and
// the delivery checked with a Standard Webhooks verifier written here (node:crypto only), not ours. The
// Subscription's transform (includeMessageId) comes through listen --subscription too.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePorts } from '../harness/ports.ts';
import { subscriptionManifests } from './lib/subscription-manifests.ts';
import { eventually } from '../harness/eventually.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const SECRET = 'whsec_dGhlLXRlc3Qtb3duLXNpZ25pbmctc2VjcmV0';
const TOKEN = 'hbt_npm-package-test-token-0123456789abcdefghijklmnopq';
// Node 24 first on PATH: `npx` runs the bin with `#!/usr/bin/env node`.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

/** Standard Webhooks: HMAC-SHA256 over `${id}.${timestamp}.${body}` keyed by the base64 after `whsec_`. */
function verifyStandardWebhooks(secret: string, h: IncomingHttpHeaders, body: Buffer, nowSeconds: number): boolean {
  const id = h['webhook-id'];
  const ts = h['webhook-timestamp'];
  const sigs = h['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sigs !== 'string') return false;
  if (Math.abs(nowSeconds - Number(ts)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest();
  return sigs.split(' ').some((s) => {
    const [v, b64] = s.split(',', 2);
    const got = Buffer.from(b64 ?? '', 'base64');
    return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
  });
}

interface Proc { child: ChildProcess; out: () => string; closed: Promise<void> }

/** `npx hookbridge …` in its own process group, so a signal reaches npm and the command like Ctrl-C does. */
function npx(cwd: string, args: string[]): Proc {
  const child = spawn('npx', ['hookbridge', ...args], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  // The command shares npm's pipes: they close when the command itself has exited.
  const closed = Promise.all([new Promise((r) => child.stdout?.once('close', r)), new Promise((r) => child.stderr?.once('close', r))]).then(() => {});
  return { child, out: () => out, closed };
}

const signalGroup = (p: Proc, signal: NodeJS.Signals): void => { try { process.kill(-(p.child.pid as number), signal); } catch { /* gone */ } };

const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, log: () => string, timeoutMs = 60_000): Promise<T> =>
  eventually(probe, { message: () => `${what}\n${log()}\n`, timeoutMs, intervalMs: 50 });

test('npm pack → npm install the tarball → npx hookbridge --version, dev, listen: a delivery our own verifier accepts', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-npm-package-'));
  const procs: Proc[] = [];
  const received: { headers: IncomingHttpHeaders; body: Buffer; at: number }[] = [];
  const destination = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { received.push({ headers: req.headers, body: Buffer.concat(chunks), at: Math.floor(Date.now() / 1000) }); res.writeHead(204).end(); });
  });
  try {
    const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, env, maxBuffer: 64 << 20 });
    const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    const files = info.files.map((f) => f.path);
    assert.ok(files.includes('dist/cli/main.js') && files.includes('bin/hookbridge.js'), 'JavaScript and the bin are in the tarball');
    assert.deepEqual(files.filter((f) => /(^|\/)(test|bench)\/|\.test\.|\.ts$/.test(f)), [], 'no tests, benchmarks or TypeScript sources');
    assert.ok(!fs.existsSync(path.join(root, 'dist')), 'postpack removed dist/ from the repository');

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","private":true}\n');
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, info.filename)], { cwd: app, env, maxBuffer: 64 << 20 });
    const { stdout: v } = await run('npx', ['hookbridge', '--version'], { cwd: app, env });
    assert.equal(v.trim(), `hookbridge ${version}`);

    const [rxPort, destPort] = await freePorts(2);
    await new Promise<void>((r) => destination.listen(destPort, '127.0.0.1', r));
    const manifests = path.join(tmp, 'manifests');
    fs.mkdirSync(manifests);
    fs.writeFileSync(path.join(manifests, 'shop.yaml'), subscriptionManifests({
      namespace: 'shop', channel: 'orders', subscription: 'laptop', token: TOKEN, signingSecret: SECRET, channelSpec: '{eventType: {jsonPointer: /type}}',
      subscriptionSpec: [`destination: {url: "http://127.0.0.1:${destPort}/hooks"}`, 'signing: {scheme: standard-webhooks}', 'transform: {includeMessageId: true}'],
    }));
    const receiver = `http://127.0.0.1:${rxPort}`;
    const dev = npx(app, ['dev', '-f', manifests, '--port', String(rxPort), '--connectors=false', '--log-level', 'warn']);
    procs.push(dev);
    await until('the dev receiver', async () => (await fetch(`${receiver}/readyz`).catch(() => undefined))?.ok, dev.out);

    const listen = npx(app, ['listen', '--receiver', receiver, '--subscription', 'shop/laptop', '-f', manifests]);
    procs.push(listen);
    await until('listen ready', () => listen.out().includes('Ready.'), listen.out);

    const body = '{"type":"order.created","id":42}';
    const res = await fetch(`${receiver}/webhook/shop/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 202);
    const { id } = await res.json() as { id: string };

    const got = await until('the delivery', () => received[0], () => `${dev.out()}\n${listen.out()}`);
    assert.deepEqual(JSON.parse(got.body.toString()), { ...JSON.parse(body), message_id: id }, 'the Subscription\'s transform: includeMessageId');
    assert.equal(got.headers['webhook-id'], id);
    assert.ok(verifyStandardWebhooks(SECRET, got.headers, got.body, got.at), `signature accepted: ${JSON.stringify(got.headers)}`);
    assert.ok(!verifyStandardWebhooks('whsec_b3RoZXI=', got.headers, got.body, got.at), 'and the verifier does reject another secret');

    // stdout is a pipe: one JSON object per delivery
    const line = await until('listen\'s delivery line', () => listen.out().split('\n').find((l) => l.includes(`"id":"${id}"`)), listen.out);
    assert.deepEqual(JSON.parse(line), { ...JSON.parse(line), id, subscription: 'shop/laptop', eventType: 'order.created', outcome: 'success', status: 204, attempt: 1 });

    signalGroup(listen, 'SIGINT');
    await listen.closed;
    assert.match(listen.out(), /Stopping: finishing deliveries in flight[\s\S]*Stopped\./);
    signalGroup(dev, 'SIGINT');
    await dev.closed;
  } finally {
    for (const p of procs) signalGroup(p, 'SIGKILL');
    destination.closeAllConnections();
    await new Promise((r) => destination.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
