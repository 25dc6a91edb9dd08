import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UsageError } from '../shared/process/flags.ts';
import { destinationAllow, injectionOptions, run } from './main.ts';

test('hookbridge operator --help lists every flag with its HOOKBRIDGE_* variable', async () => {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string) => { chunks.push(String(c)); return true; }) as typeof process.stdout.write;
  try { await run(['--help']); } finally { process.stdout.write = write; }
  const text = chunks.join('');
  for (const flag of ['--kubeconfig', '--namespaces', '--receiver-namespace', '--public-url', '--receiver-url', '--receiver-admin-token-file', '--connector-image', '--metrics-port', '--leader-elect']) {
    assert.ok(text.includes(flag), flag);
  }
  assert.match(text, /\$HOOKBRIDGE_RECEIVER_NAMESPACE/);
});

test('required flags are reported as usage errors', async () => {
  const env = { ...process.env };
  delete process.env.POD_NAMESPACE;
  try {
    await assert.rejects(run([]), (e: unknown) => e instanceof UsageError && /receiver-namespace/.test(e.message));
    await assert.rejects(run(['--receiver-namespace', 'x']), (e: unknown) => e instanceof UsageError && /public-url/.test(e.message));
  } finally { Object.assign(process.env, env); }
});

test('--destination-allow: absent → private ranges, none → Services only, entries checked', () => {
  assert.deepEqual(destinationAllow([]), ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']);
  assert.deepEqual(destinationAllow(['none']), []);
  assert.deepEqual(destinationAllow(['hooks.example.com,*.zapier.com', '203.0.113.0/24', 'fd00::/8']), ['hooks.example.com', '*.zapier.com', '203.0.113.0/24', 'fd00::/8']);
  for (const bad of ['http://x/', '10.0.0.0/33', 'a b', '*']) assert.throws(() => destinationAllow([bad]), UsageError, bad);
});

test('the connector image defaults to this release; its pull policy is checked', async () => {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string) => { chunks.push(String(c)); return true; }) as typeof process.stdout.write;
  try { await run(['--help']); } finally { process.stdout.write = write; }
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.ok(chunks.join('').includes(`ghcr.io/hookbridge/hookbridge:${version}`));
  await assert.rejects(run(['--receiver-namespace', 'x', '--public-url', 'https://h', '--connector-image-pull-policy', 'Sometimes']),
    (e: unknown) => e instanceof UsageError && /connector-image-pull-policy/.test(e.message));
});

test('--sidecar-injection needs the webhook Service and configuration; they mean nothing without it', () => {
  const f = (o: Record<string, unknown>) => ({ 'webhook-port': 9443, ...o });
  assert.equal(injectionOptions(f({}), 'hb'), undefined);
  assert.deepEqual(injectionOptions(f({ 'sidecar-injection': true, 'webhook-service': 'svc', 'webhook-configuration': 'cfg' }), 'hb'),
    { port: 9443, namespace: 'hb', service: 'svc', configuration: 'cfg' });
  assert.throws(() => injectionOptions(f({ 'sidecar-injection': true, 'webhook-service': 'svc' }), 'hb'), UsageError);
  assert.throws(() => injectionOptions(f({ 'webhook-service': 'svc' }), 'hb'), /need --sidecar-injection/);
  assert.throws(() => injectionOptions(f({ 'sidecar-injection': true, 'webhook-service': 's', 'webhook-configuration': 'c', 'webhook-port': 70000 }), 'hb'), /--webhook-port/);
});
