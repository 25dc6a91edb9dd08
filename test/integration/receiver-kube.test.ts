// The receiver configured from a real kube-apiserver (`--kube-namespace`): labelled Secrets holding
// channel.json are applied within seconds; updates, revocations and deletions follow; unlabelled and
// unreadable Secrets are ignored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startKube, type Kube } from '../harness/kube.ts';
import { createLogger } from '../../shared/logger.ts';
import type { ChannelConfig } from '../../shared/config.ts';
import { CloseCode } from '../../shared/protocol.ts';
import { CHANNEL_CONFIG_KEY, KubeConfigSource, RECEIVER_CONFIG_LABEL } from '../../receiver/config/kube.ts';
import { channel, eventually, post, route, startTest, StreamClient, type TestReceiver } from '../../receiver/test-support.ts';

const NS = 'hookbridge-system';
const TOKEN = 'hbt_kube-integration-token-hhhhhhhhhhhhhhhhhhhhhhhhhh';
let kube: Kube;
let t: TestReceiver;
let source: KubeConfigSource;

function secretYaml(name: string, cfg: ChannelConfig | string, labelled = true): string {
  const data = Buffer.from(typeof cfg === 'string' ? cfg : JSON.stringify(cfg)).toString('base64');
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  namespace: ${NS}
  labels: {${labelled ? `"${RECEIVER_CONFIG_LABEL}": "true"` : 'unrelated: "yes"'}}
data:
  ${CHANNEL_CONFIG_KEY}: ${data}
`;
}

async function kubectl(args: string[], input?: string): Promise<void> {
  const r = await kube.kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  kube = await startKube();
  await kubectl(['create', 'namespace', NS]);
  t = await startTest({ channels: [] });
  source = new KubeConfigSource({
    namespace: NS, kubeconfig: kube.kubeconfigPath, apply: t.rx.applyConfig, debounceMs: 20,
    logger: createLogger({ name: 'kube-source', level: 'silent' }),
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
