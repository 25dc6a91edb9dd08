// Token lifecycle and referenced secrets against a real kube-apiserver: forced rotation with a grace
// period, scheduled rotation, inbound verification secrets resolved into the receiver config.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import type { ChannelConfig } from '../../shared/config.ts';
import { hashToken } from '../../shared/tokens.ts';
import { decode, getJson, must, readyReason, RECEIVER_NS, startTestKube, startTestOperator, waitFor, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription, applyManifests, channel, namespace } from '../harness/operator-apply.ts';

let kube: Kube;
let op: TestOperator;

before(async () => {
  kube = await startTestKube();
  // A settle long enough for the test to see the staged step (the receiver config carries the new token
  // before the connector's Secret does).
  op = await startTestOperator(kube, { tokenSettleMs: 2_000 });
});
after(async () => {
  await op?.stop();
  await kube?.stop();
});

test('forced rotation: new token; the old one is accepted until the grace period ends, then revoked', async () => {
  const ns = 'team-rotate';
  await applyChannelAndSubscription(kube, { ns, channel: 'orders', channelSpec: { tokenRotation: { interval: '720h', gracePeriod: '3s' } }, subscription: 'sink' });
  const tokenOf = async () => decode((await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-token']))?.data.token);
  const receiverTokens = async () => {
    const s = await getJson(kube, ['-n', RECEIVER_NS, 'secret', `hookbridge-channel.${ns}.orders`]);
    return (JSON.parse(decode(s?.data['channel.json'])) as ChannelConfig).subscriptions[0]?.tokens ?? [];
  };
  const before = await tokenOf();
  await waitFor('receiver config with the first token', async () => (await receiverTokens()).length === 1);

  await must(kube, ['annotate', 'whc', 'orders', '-n', ns, 'hookbridge.io/rotate-token=one']);
  // First the receiver learns the new token (staged; the connector's key is unchanged) ...
  const staged = await waitFor('the new token staged in the receiver config', async () => { const t = await receiverTokens(); return t.length === 2 && !t[1].notAfter ? t : undefined; });
  assert.equal(staged[0].sha256, hashToken(before));
  // ... then the connector gets it.
  const rotated = await waitFor('a new token', async () => { const t = await tokenOf(); return t !== before ? t : undefined; });
  assert.equal(staged[1].sha256, hashToken(rotated), 'the connector got the very token the receiver already accepted');
  const during = await waitFor('receiver config with new and old token', async () => { const t = await receiverTokens(); return t.length === 2 && t[1].notAfter ? t : undefined; });
  assert.deepEqual(during[0], { sha256: hashToken(rotated) });
  assert.equal(during[1].sha256, hashToken(before));
  assert.ok(during[1].notAfter, 'the old token carries its revocation time');
  const secret = await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-token']);
  assert.ok(!JSON.stringify(secret).includes(before), 'the previous token itself is kept nowhere');

  const afterGrace = await waitFor('old token dropped after the grace period', async () => { const t = await receiverTokens(); return t.length === 1 ? t : undefined; });
  assert.deepEqual(afterGrace, [{ sha256: hashToken(rotated) }]);
  assert.equal(await tokenOf(), rotated, 'no further rotation: the annotation value was handled once');
  const annotations = (await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-token']))?.metadata.annotations;
  assert.equal(annotations['hookbridge.io/previous-token-sha256'], undefined);
  const whc = await getJson(kube, ['-n', ns, 'whc', 'orders']);
  assert.equal(whc?.status.tokenRotatedAt, annotations['hookbridge.io/token-rotated-at']);
  const events = await must(kube, ['get', 'events.events.k8s.io', '-n', ns, '--field-selector', 'reason=TokenRotated', '-o', 'json']);
  assert.equal((JSON.parse(events) as { items: unknown[] }).items.length, 1, 'one TokenRotated event');
  assert.ok(!events.includes(rotated) && !events.includes(before), 'events carry no tokens');
});

test('scheduled rotation: tokens rotate on their interval without any annotation', async () => {
  const ns = 'team-schedule';
  await applyChannelAndSubscription(kube, {
    ns, channel: 'fast', channelSpec: { tokenRotation: { interval: '3s', gracePeriod: '1s' } }, subscription: 'sink', wait: 'subscription',
  });
  const tokenOf = async () => decode((await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-token']))?.data.token);
  const first = await tokenOf();
  const firstStatus = (await getJson(kube, ['-n', ns, 'whsub', 'sink']))?.status;
  await waitFor('a scheduled rotation', async () => (await tokenOf()) !== first);
  const later = await waitFor('status follows', async () => {
    const st = (await getJson(kube, ['-n', ns, 'whsub', 'sink']))?.status;
    return st?.tokenRotatedAt > firstStatus.tokenRotatedAt ? st : undefined;
  });
  assert.ok(later.nextTokenRotationAt > later.tokenRotatedAt);
});

test('inbound verification secret: missing → ReceiverConfigured=False; created → resolved into the receiver config', async () => {
  const ns = 'team-verify';
  await applyManifests(kube, [
    namespace(ns),
    channel(ns, 'github', { verify: { provider: 'github', secretRef: { name: 'gh-webhook', key: 'secret' } }, eventType: { header: 'X-GitHub-Event' } }),
  ]);
  const c = await readyReason(kube, ns, 'whc', 'github', 'VerifySecretNotFound');
  assert.match(c.message, /gh-webhook/);
  assert.equal(await getJson(kube, ['-n', RECEIVER_NS, 'secret', `hookbridge-channel.${ns}.github`]), undefined, 'no config without its verify secret');
  await must(kube, ['create', 'secret', 'generic', 'gh-webhook', '-n', ns, '--from-literal=secret=It\'s a Secret to Everybody']);
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', ns, 'whc/github']);
  const s = await getJson(kube, ['-n', RECEIVER_NS, 'secret', `hookbridge-channel.${ns}.github`]);
  const cfg = JSON.parse(decode(s?.data['channel.json'])) as ChannelConfig;
  assert.deepEqual(cfg.verify, { provider: 'github', secrets: ['It\'s a Secret to Everybody'], toleranceSeconds: 300 });
  assert.ok(!op.logs.join('').includes('Secret to Everybody'), 'verify secrets never reach a log line');
});
