import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Subscription, WebhookChannel } from '../../shared/api/v1alpha1.ts';
import { bindingOf, type BindingWorld } from './binding.ts';
import { channel, sub } from './testing/fixtures.ts';

function world(channels: WebhookChannel[], subs: Subscription[], labels: Record<string, Record<string, string>> = {}): BindingWorld {
  return {
    channel: (ns, name) => channels.find((c) => c.metadata.namespace === ns && c.metadata.name === name),
    namespaceLabels: (ns) => labels[ns] ?? {},
    subscriptionsOf: (ns, name) => subs.filter((s) => (s.spec.channelRef.namespace ?? s.metadata.namespace) === ns && s.spec.channelRef.name === name),
  };
}

test('binding decisions, with the reason a person can act on', () => {
  const payments = channel({ name: 'payments', namespace: 'default' });
  const open = channel({ name: 'open', namespace: 'default', spec: { allowedNamespaces: { selector: { matchLabels: { team: 'pay' } } } } });
  const ok = sub({ name: 'ok' });
  const missing = sub({ name: 'missing', spec: { channelRef: { name: 'nope' } } });
  const foreign = sub({ name: 'foreign', namespace: 'team-b', spec: { channelRef: { name: 'payments', namespace: 'default' } } });
  const selected = sub({ name: 'sel', namespace: 'team-c', spec: { channelRef: { name: 'open', namespace: 'default' } } });
  const bad = sub({ name: 'bad', spec: { destination: { url: 'http://x/', service: { name: 's' } } } });
  const dup = sub({ name: 'dup', createdAt: '2030-01-02T00:00:00Z' });
  const subs = [ok, missing, foreign, selected, bad, dup];
  const w = world([payments, open], subs, { 'team-c': { team: 'pay' } });
  const table: [Subscription, string | undefined][] = [
    [ok, undefined],
    [missing, 'ChannelNotFound'],
    [foreign, 'NamespaceNotAllowed'],
    [selected, undefined],
    [bad, 'InvalidDestination'],
    [dup, 'DuplicateSubscription'],
  ];
  for (const [s, reason] of table) {
    const b = bindingOf(s, w);
    assert.equal(b.bound ? undefined : b.reason, reason, s.metadata.name);
  }
  const deleting = { ...payments, metadata: { ...payments.metadata, deletionTimestamp: '2030-01-01T00:00:00Z' } };
  assert.equal((bindingOf(ok, world([deleting], subs)) as { reason: string }).reason, 'ChannelNotFound', 'a channel being deleted binds nothing');
  assert.equal(bindingOf(selected, world([payments, open], subs, { 'team-c': { team: 'other' } })).bound, false);
});
