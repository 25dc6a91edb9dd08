import assert from 'node:assert/strict';
import { test } from 'node:test';
import { condFalse, condTrue } from '../../runtime/conditions.ts';
import { sub } from '../testing/fixtures.ts';
import { connectorCondition, subscriptionStatus, type SubscriptionStatusInput } from './status.ts';

const s = sub({ name: 'sink', namespace: 'team', spec: { destination: { service: { name: 'api', port: 8080 } } } });
const deployment = (available?: 'True' | 'False') => ({
  metadata: { name: 'hookbridge-connector' },
  ...(available ? { status: { conditions: [{ type: 'Available', status: available, reason: 'MinimumReplicasUnavailable', message: 'no pods' }] } } : {}),
});
const base: SubscriptionStatusInput = {
  sub: s, binding: { bound: true }, secrets: condTrue('SecretsReady', 'SecretsIssued'), token: { rotatedAt: '2030-01-01T00:00:00Z', nextRotationAt: Date.parse('2030-01-31T00:00:00Z') },
  connector: { configured: true, deployment: deployment() }, now: Date.parse('2030-01-02T00:00:00Z'),
};

test('ConnectorReady: pending, deployed (no kubelet), available, unavailable', () => {
  assert.deepEqual([false, true].map((configured) => connectorCondition({ configured, deployment: deployment() }).reason), ['ConnectorPending', 'ConnectorDeployed']);
  assert.equal(connectorCondition({ configured: true }).status, 'Unknown');
  assert.equal(connectorCondition({ configured: true, deployment: deployment('True') }).reason, 'ConnectorAvailable');
  const down = connectorCondition({ configured: true, deployment: deployment('False') });
  assert.deepEqual([down.status, down.reason, down.message], ['False', 'ConnectorUnavailable', 'Deployment hookbridge-connector: no pods']);
});

const gone = { backlog: 0, inFlight: 0, connected: 1, deadLettered: 2, destinationGoneAt: '2030-01-01T23:00:00.000Z' };

test('subscription status table', () => {
  const table: [string, Partial<SubscriptionStatusInput>, string, string][] = [
    ['bound and deployed', {}, 'True', 'Ready'],
    ['channel missing', { binding: { bound: false, reason: 'ChannelNotFound', message: 'x' } }, 'False', 'ChannelNotFound'],
    ['signing secret missing', { secrets: condFalse('SecretsReady', 'SigningSecretNotFound', 'x') }, 'False', 'SigningSecretNotFound'],
    ['connector not yet listing it', { connector: { configured: false } }, 'Unknown', 'ConnectorPending'],
    ['no receiver figures yet (DestinationHealthy Unknown does not hold Ready back)', { figures: undefined }, 'True', 'Ready'],
    ['the destination answered 410 Gone', { figures: gone }, 'False', 'DestinationGone'],
    ['410 and a missing signing secret: the configuration problem first', { figures: gone, secrets: condFalse('SecretsReady', 'SigningSecretNotFound', 'x') }, 'False', 'SigningSecretNotFound'],
    ['a delivery after the 410', { figures: { ...gone, lastDeliveryAt: '2030-01-01T23:30:00.000Z' } }, 'True', 'Ready'],
  ];
  for (const [name, patch, status, reason] of table) {
    const ready = subscriptionStatus({ ...base, ...patch }).conditions?.[0];
    assert.deepEqual([ready?.type, ready?.status, ready?.reason], ['Ready', status, reason], name);
  }
  const st = subscriptionStatus({ ...base, figures: { backlog: 3, inFlight: 0, connected: 1, deadLettered: 1, lastDeliveryAt: '2030-01-01T23:00:00Z' } });
  assert.equal(st.destination, 'http://api.team.svc:8080/');
  assert.deepEqual(st.tokenSecretRef, { name: 'sink-hookbridge-token', key: 'token' });
  assert.equal(st.nextTokenRotationAt, '2030-01-31T00:00:00Z');
  assert.deepEqual([st.backlog, st.deadLettered, st.lastDeliveryAt], [3, 1, '2030-01-01T23:00:00Z']);
  const unbound = subscriptionStatus({ ...base, binding: { bound: false, reason: 'NamespaceNotAllowed', message: 'x' } });
  assert.equal(unbound.tokenSecretRef, undefined);
  assert.deepEqual(unbound.conditions?.map((c) => c.type), ['Ready', 'ChannelBound']);
});

test('a 410 Gone on the Subscription: Ready=False with what to do, destinationGoneAt; cleared by a later delivery', () => {
  const st = subscriptionStatus({ ...base, figures: gone });
  assert.deepEqual(st.conditions?.map((c) => c.type), ['Ready', 'ChannelBound', 'SecretsReady', 'ConnectorReady', 'DestinationHealthy']);
  const [ready, health] = [st.conditions?.[0], st.conditions?.[4]];
  assert.deepEqual([health?.status, health?.reason], ['False', 'DestinationGone']);
  assert.equal(ready?.message, health?.message);
  assert.match(ready?.message ?? '', /410 Gone at 2030-01-01T23:00:00.000Z; .*fix the destination .* or delete the Subscription/);
  assert.equal(st.destinationGoneAt, '2030-01-01T23:00:00.000Z');
  const later = Date.parse('2030-01-02T00:05:00Z');
  const back = subscriptionStatus({ ...base, previous: st, figures: { ...gone, lastDeliveryAt: '2030-01-02T00:01:00.000Z' }, now: later });
  const [ready2, health2] = [back.conditions?.[0], back.conditions?.[4]];
  assert.deepEqual([ready2?.status, health2?.status, health2?.reason], ['True', 'True', 'DestinationRecovered']);
  assert.equal(health2?.lastTransitionTime, '2030-01-02T00:05:00Z');
  assert.equal(back.destinationGoneAt, '2030-01-01T23:00:00.000Z', 'kept as history; the condition says it is over');
  assert.equal(back.lastDeliveryAt, '2030-01-02T00:01:00.000Z');
});
