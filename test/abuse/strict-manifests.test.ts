// Issue 9 item 9: `-f` manifests are decoded as strictly as the apiserver decodes `kubectl apply`. Before
// the fix a misspelt kind (`WebhookChanel`) was skipped and a misspelt field (`ttlSecnds`) dropped, so
// `hookbridge dev -f` started with a channel missing or silently on defaults.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseManifests } from '../../shared/api/manifests.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const channel = (extra = '', kind = 'WebhookChannel') =>
  `apiVersion: hookbridge.io/v1alpha1\nkind: ${kind}\nmetadata: {name: orders, namespace: shop}\nspec:\n  maxQueueSize: 10\n${extra}`;
const parse = (text: string) => () => parseManifests([{ path: 'shop.yaml', text }]);

const CASES: [string, string, string][] = [
  ['misspelt kind', channel('', 'WebhookChanel'), 'shop.yaml (document 1): no matches for kind "WebhookChanel" in version "hookbridge.io/v1alpha1"'],
  ['our kind at a version we do not serve', channel().replace('v1alpha1', 'v1beta1'), 'no matches for kind "WebhookChannel" in version "hookbridge.io/v1beta1"'],
  ['misspelt spec field', channel('  ttlSecnds: 60\n'),
    'shop.yaml (document 1): WebhookChannel in version "v1alpha1" cannot be handled as a WebhookChannel: strict decoding error: unknown field "spec.ttlSecnds"'],
  ['nested fields, every one listed', channel('  tokenRotation: {intervl: 1h}\n  verify: {provider: github, secretRef: {name: gh, kee: k}}\n'),
    'strict decoding error: unknown field "spec.tokenRotation.intervl", unknown field "spec.verify.secretRef.kee"'],
  ['a field of one member of a union', `apiVersion: hookbridge.io/v1alpha1\nkind: Subscription\nmetadata: {name: s, namespace: shop}\nspec:\n  channelRef: {name: orders}\n  destination: {url: "http://sink.shop.svc/"}\n  delivery: {ordering: perKey, keyFrom: {jsonPointr: /id}}\n`,
    'unknown field "spec.delivery.keyFrom.jsonPointr"'],
  ['misspelt metadata and top-level fields', channel().replace('metadata: {', 'metdata: {}\nmetadata: {labls: {a: b}, '),
    'strict decoding error: unknown field "metadata.labls", unknown field "metdata"'],
  ['misspelt Secret field', 'apiVersion: v1\nkind: Secret\nmetadata: {name: gh, namespace: shop}\nstringdata: {secret: x}\n', 'Secret in version "v1" cannot be handled as a Secret: strict decoding error: unknown field "stringdata"'],
  ['misspelt core kind', 'apiVersion: v1\nkind: Secrets\nmetadata: {name: gh}\n', 'no matches for kind "Secrets" in version "v1"'],
  ['no kind', 'apiVersion: v1\nmetadata: {name: gh}\n', "Object 'Kind' is missing"],
];

for (const [name, text, message] of CASES) {
  test(`refused like the apiserver would: ${name}`, () => {
    assert.throws(parse(text), (err: Error) => { assert.ok(err.message.includes(message), err.message); return true; });
  });
}

test('well-formed manifests still load, and other API groups (a Deployment beside them) are left alone', () => {
  const set = parseManifests([{ path: 'ok.yaml', text: `${channel('  eventType: {header: X-GitHub-Event}\n')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n` }]);
  assert.equal(set.channels.length, 1);
  assert.equal(set.channels[0].spec.maxQueueSize, 10);
});

test('`hookbridge dev -f` refuses to start on a misspelt field and says which', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-strict-'));
  try {
    fs.writeFileSync(path.join(dir, 'shop.yaml'), channel('  ttlSecnds: 60\n'));
    const child = spawn(process.execPath, [path.join(ROOT, 'cli/main.ts'), 'dev', '-f', dir, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    // Ends at exit, or as soon as it reports running (the bug: it started anyway); never on a timer.
    const result = await new Promise<{ code: number | null; started: boolean }>((resolve) => {
      const seen = (d: Buffer) => { out += d; if (/manifests applied|listening/.test(out)) { child.kill('SIGKILL'); resolve({ code: null, started: true }); } };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.on('exit', (code) => resolve({ code, started: false }));
    });
    assert.equal(result.started, false, `dev started:\n${out}`);
    assert.equal(result.code, 2);
    assert.match(out, /strict decoding error: unknown field "spec\.ttlSecnds"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
