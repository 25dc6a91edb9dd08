// `--namespaces a,b`: the operator watches and writes only there (plus the receiver's namespace).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import { getJson, must, startTestKube, startTestOperator, waitFor, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription } from '../harness/operator-apply.ts';

let kube: Kube;
let op: TestOperator;
before(async () => {
  kube = await startTestKube();
  op = await startTestOperator(kube, { namespaces: ['watched'] });
});
after(async () => { await op?.stop(); await kube?.stop(); });

const pair = (ns: string, wait: 'both' | false) =>
  applyChannelAndSubscription(kube, { ns, channel: 'ch', subscription: 'sub', subscriptionSpec: { destination: { url: 'http://x.example/' } }, wait });

test('objects outside the watched namespaces are left alone', async () => {
  await pair('ignored', false);
  await pair('watched', 'both');
  assert.equal((await getJson(kube, ['-n', 'ignored', 'whc', 'ch']))?.status, undefined);
  assert.equal((await getJson(kube, ['-n', 'ignored', 'whc', 'ch']))?.metadata.finalizers, undefined);
  assert.equal(await getJson(kube, ['-n', 'ignored', 'secret', 'sub-hookbridge-token']), undefined);
  const configs = await getJson(kube, ['-n', 'hookbridge-system', 'secret', '-l', 'hookbridge.io/receiver-config=true']);
  assert.deepEqual(configs?.items.map((s: { metadata: { name: string } }) => s.metadata.name), ['hookbridge-channel.watched.ch']);
});

test('without kube-controller-manager (no garbage collector) a deleted subscription\'s secrets are still removed', async () => {
  await must(kube, ['delete', 'whsub', 'sub', '-n', 'watched']);
  await waitFor('token and signing secrets gone', async () => {
    const left = await must(kube, ['get', 'secret,deployment,configmap,serviceaccount', '-n', 'watched', '-l', 'app.kubernetes.io/managed-by=hookbridge-operator', '-o', 'name']);
    return left.trim() === '';
  });
});
