import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UsageError } from '../cli/flags.ts';
import { run } from './main.ts';

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
