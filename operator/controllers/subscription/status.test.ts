import assert from 'node:assert/strict';
import { test } from 'node:test';
import { condFalse, condTrue } from '../../runtime/conditions.ts';
import { sub } from '../testing/fixtures.ts';
import { connectorCondition, sidecarCondition, subscriptionStatus, type SubscriptionStatusInput } from './status.ts';

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

const sidecarSub = sub({ name: 'orders', namespace: 'shop', spec: { destination: { sidecar: { port: 8080, path: '/hooks' } } } });

test('ConnectorReady of a sidecar Subscription: pending until the ConfigMap lists it, False with no pod, Unknown while no stream is open, True with one', () => {
  const view = (ready: number, connected?: number, maxConnections = 10) => ({ ready, connected, maxConnections });
  const table: [boolean, ReturnType<typeof view>, string, string][] = [
    [false, view(2, 2), 'Unknown', 'ConnectorPending'],
    [true, view(0), 'False', 'NoSidecars'],
    [true, view(0, 3), 'False', 'NoSidecars'], // streams of pods being deleted do not make a ready pod
    [true, view(2, 0), 'Unknown', 'SidecarsNotConnected'],
    [true, view(2), 'True', 'SidecarsConnected'], // no figures yet: the ready pods decide
    [true, view(2, 2), 'True', 'SidecarsConnected'],
  ];
  for (const [configured, v, status, reason] of table) {
    const c = sidecarCondition(configured, v);
    assert.deepEqual([c.status, c.reason], [status, reason], JSON.stringify({ configured, v }));
  }
  assert.match(sidecarCondition(true, view(12, 10, 10)).message, /12 sidecars exceed the channel's maxConnections 10: 2 cannot open a stream/);
  assert.doesNotMatch(sidecarCondition(true, view(10, 10, 10)).message, /exceed/);
});

test('a sidecar Subscription\'s status: sidecars counted, no connector Deployment named, Ready follows the sidecars', () => {
  const input: SubscriptionStatusInput = { ...base, sub: sidecarSub, connector: { configured: true }, sidecars: { ready: 3, connected: 3, maxConnections: 10 } };
  const st = subscriptionStatus(input);
  assert.equal(st.sidecars, 3);
  assert.equal(st.connector, undefined, 'no Deployment serves it');
  assert.equal(st.destination, 'http://localhost:8080/hooks');
  assert.deepEqual([st.conditions?.[0].type, st.conditions?.[0].status, st.conditions?.[0].message], ['Ready', 'True', 'Delivering through connector sidecars']);
  const none = subscriptionStatus({ ...input, sidecars: { ready: 0, maxConnections: 10 } });
  assert.equal(none.sidecars, 0, 'zero is written, so SIDECARS shows 0 rather than nothing');
  assert.deepEqual([none.conditions?.[0].status, none.conditions?.[0].reason], ['False', 'NoSidecars']);
});
