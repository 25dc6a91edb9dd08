// The receiver configured from a real kube-apiserver (`--kube-namespace`): labelled Secrets holding
// channel.json are applied within seconds; updates, revocations and deletions follow; unlabelled and
// unreadable Secrets are ignored. An apiserver outage leaves the receiver ready and ingesting with the
// configuration it has (the watch is reported down), and changes flow again once it is back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Writable } from 'node:stream';
import { startKube, type Kube } from '../harness/kube.ts';
import { createLogger } from '../../shared/logger.ts';
import type { ChannelConfig } from '../../shared/config.ts';
import { CloseCode } from '../../shared/protocol.ts';
import { KubeConfigSource } from '../../receiver/config/kube.ts';
import { RECEIVER_CONFIG_KEY, RECEIVER_CONFIG_LABEL } from '../../shared/labels.ts';
import { channel, eventually, post, route, startTest, StreamClient, type TestReceiver } from '../../receiver/test-support.ts';

const NS = 'hookbridge-system';
const TOKEN = 'hbt_kube-integration-token-hhhhhhhhhhhhhhhhhhhhhhhhhh';
let kube: Kube;
let t: TestReceiver;
let source: KubeConfigSource;
/** Failed watch (re)starts, as the source logs them. */
let restarts = 0;

function secretYaml(name: string, cfg: ChannelConfig | string, labelled = true): string {
  const data = Buffer.from(typeof cfg === 'string' ? cfg : JSON.stringify(cfg)).toString('base64');
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  namespace: ${NS}
  labels: {${labelled ? `"${RECEIVER_CONFIG_LABEL}": "true"` : 'unrelated: "yes"'}}
data:
  ${RECEIVER_CONFIG_KEY}: ${data}
`;
}

async function kubectl(args: string[], input?: string): Promise<void> {
  const r = await kube.kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  kube = await startKube();
  await kubectl(['create', 'namespace', NS]);
  // Wired as receiver/main.ts wires it: /readyz checks and /health + metrics report the source.
  t = await startTest({ channels: [] }, { readinessChecks: () => source.readiness(), configSource: { following: () => source.following(), describe: () => source.describe() } });
  source = new KubeConfigSource({
    namespace: NS, kubeconfig: kube.kubeconfigPath, apply: t.rx.applyConfig, debounceMs: 20, backoffMinMs: 200, backoffMaxMs: 1000,
    logger: createLogger({ name: 'kube-source', level: 'warn', destination: new Writable({ write(c, _e, cb) { if (String(c).includes('restarting')) restarts++; cb(); } }) }),
  });
  await source.start();
});

after(async () => {
  await source?.stop();
  await t?.close();
  await kube?.stop();
});

test('a labelled Secret becomes a channel; unlabelled and unreadable ones are ignored', async () => {
  assert.deepEqual(source.readiness(), []);
  assert.equal((await post(t.base, '/webhook/shop/orders', '{}')).status, 404);
  await kubectl(['apply', '-f', '-'], secretYaml('unlabelled', channel('ghost', [route('x')]), false));
  await kubectl(['apply', '-f', '-'], secretYaml('broken', '{"namespace": "shop", "name": 3}'));
  await kubectl(['apply', '-f', '-'], secretYaml('hookbridge-channel.shop.orders', channel('orders', [route('sink', { tokens: [TOKEN] })])));
  await eventually(async () => (await post(t.base, '/webhook/shop/orders', 'hello')).status === 202, 10_000);
  assert.equal((await post(t.base, '/webhook/shop/ghost', '{}')).status, 404);
});

test('updates apply within seconds: a smaller maxPayloadBytes, then a revoked token closes the stream with 4001', async () => {
  await kubectl(['apply', '-f', '-'], secretYaml('hookbridge-channel.shop.orders', channel('orders', [route('sink', { tokens: [TOKEN] })], { maxPayloadBytes: 4 })));
  await eventually(async () => (await post(t.base, '/webhook/shop/orders', 'too long')).status === 413, 10_000);
  const stream = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN);
  await stream.until((c) => c.frames[0]?.type === 'hello');
  await kubectl(['apply', '-f', '-'], secretYaml('hookbridge-channel.shop.orders', channel('orders', [route('sink', { tokens: ['hbt_rotated'] })], { maxPayloadBytes: 4 })));
  assert.equal((await stream.closed).code, CloseCode.InvalidToken);
});

test('deleting the Secret removes the channel', async () => {
  await kubectl(['delete', 'secret', '-n', NS, 'hookbridge-channel.shop.orders']);
  await eventually(async () => (await post(t.base, '/webhook/shop/orders', '{}')).status === 404, 10_000);
});

test('an apiserver outage: still ready, still ingesting, the watch reported down; changes flow again when it is back', async () => {
  const health = async () => (await fetch(`${t.base}/health`)).json() as Promise<{ config?: { watch?: string } }>;
  const sourceUp = async () => /^hookbridge_config_source_up (\d)$/m.exec(await (await fetch(`${t.base}/metrics`)).text())?.[1];
  await kubectl(['apply', '-f', '-'], secretYaml('hookbridge-channel.shop.invoices', channel('invoices', [route('sink', { tokens: [TOKEN] })])));
  await eventually(async () => (await post(t.base, '/webhook/shop/invoices', 'before')).status === 202, 10_000);
  assert.equal((await health()).config?.watch, 'up');
  assert.equal(await sourceUp(), '1');

  await kube.stopApiserver();
  try {
    await eventually(async () => (await health()).config?.watch === 'down', 30_000);
    assert.equal(await sourceUp(), '0');
    assert.deepEqual([(await fetch(`${t.base}/readyz`)).status, (await post(t.base, '/webhook/shop/invoices', 'during')).status], [200, 202],
      'ready and ingesting with the configuration it has');
    // Several restarts later (each failing against the stopped apiserver), still ready.
    const failed = restarts;
    await eventually(() => restarts >= failed + 3, 30_000);
    assert.equal((await fetch(`${t.base}/readyz`)).status, 200);
    assert.equal((await health()).config?.watch, 'down');
  } finally {
    await kube.startApiserver();
  }
  await eventually(async () => (await health()).config?.watch === 'up', 30_000);
  assert.equal(await sourceUp(), '1');
  await kubectl(['apply', '-f', '-'], secretYaml('hookbridge-channel.shop.invoices', channel('invoices', [route('sink', { tokens: [TOKEN] })], { maxPayloadBytes: 4 })));
  await eventually(async () => (await post(t.base, '/webhook/shop/invoices', 'too long')).status === 413, 10_000);
});
