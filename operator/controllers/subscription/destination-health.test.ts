import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SubscriptionStatus } from '../../api/status.ts';
import type { Figures } from '../../stats/receiver-stats.ts';
import { destinationHealth, latest, type DestinationHealthInput } from './destination-health.ts';

const DEST = 'http://api.team.svc:8080/';
const figures = (o: Partial<Figures> = {}): Figures => ({ backlog: 0, inFlight: 0, connected: 1, deadLettered: 0, ...o });
const cond = (status: 'True' | 'False' | 'Unknown', reason: string) => ({ type: 'DestinationHealthy', status, reason, message: '', lastTransitionTime: '2030-01-01T00:00:00Z' });
const prev = (o: Partial<SubscriptionStatus> & { health?: ReturnType<typeof cond> }): SubscriptionStatus => {
  const { health, ...rest } = o;
  return { destination: DEST, ...(health ? { conditions: [health] } : {}), ...rest };
};
const base: DestinationHealthInput = { createdAt: '2030-01-01T00:00:00Z', destination: DEST };

test('latest: the later of two times, either may be absent', () => {
  assert.equal(latest('2030-01-01T00:00:02.000Z', '2030-01-01T00:00:01Z'), '2030-01-01T00:00:02.000Z');
  assert.equal(latest('2030-01-01T00:00:01Z', '2030-01-01T00:00:02.000Z'), '2030-01-01T00:00:02.000Z');
  assert.equal(latest(undefined, '2030-01-01T00:00:01Z'), '2030-01-01T00:00:01Z');
  assert.equal(latest('2030-01-01T00:00:01Z', undefined), '2030-01-01T00:00:01Z');
  assert.equal(latest('garbage', undefined), undefined);
});

test('DestinationHealthy table', () => {
  const G1 = '2030-01-01T10:00:00.000Z';
  const G2 = '2030-01-01T11:00:00.000Z';
  const L = '2030-01-01T10:30:00.000Z';
  const table: [string, Partial<DestinationHealthInput>, string, string, string | undefined][] = [
    // name, input, status, reason, status.destinationGoneAt
    ['no figures yet', {}, 'Unknown', 'NoDeliveryStats', undefined],
    ['figures, never a 410', { figures: figures() }, 'True', 'NoGoneAnswer', undefined],
    ['a 410, nothing delivered since', { figures: figures({ destinationGoneAt: G1 }) }, 'False', 'DestinationGone', G1],
    ['a 410, an older delivery', { figures: figures({ destinationGoneAt: G1, lastDeliveryAt: '2030-01-01T09:00:00.000Z' }) }, 'False', 'DestinationGone', G1],
    ['a delivery after the 410: back', { figures: figures({ destinationGoneAt: G1, lastDeliveryAt: L }) }, 'True', 'DestinationRecovered', G1],
    ['a new 410 after the recovery', { figures: figures({ destinationGoneAt: G2, lastDeliveryAt: L }) }, 'False', 'DestinationGone', G2],
    ['a 410 from before this object existed (same name, deleted and re-created)',
      { createdAt: '2030-01-02T00:00:00Z', figures: figures({ destinationGoneAt: G1 }) }, 'True', 'NoGoneAnswer', undefined],
    ['receiver restarted (forgot both): the status remembers',
      { figures: figures(), previous: prev({ destinationGoneAt: G1, health: cond('False', 'DestinationGone') }) }, 'False', 'DestinationGone', G1],
    ['receiver unreachable: the status remembers',
      { previous: prev({ destinationGoneAt: G1, health: cond('False', 'DestinationGone') }) }, 'False', 'DestinationGone', G1],
    ['another receiver replica with an older 410 does not move it back',
      { figures: figures({ destinationGoneAt: G1 }), previous: prev({ destinationGoneAt: G2, lastDeliveryAt: L }) }, 'False', 'DestinationGone', G2],
    ['a delivery after the 410 known only from the status',
      { figures: figures({ lastDeliveryAt: L }), previous: prev({ destinationGoneAt: G1, health: cond('False', 'DestinationGone') }) }, 'True', 'DestinationRecovered', G1],
    ['spec.destination changed after the 410',
      { figures: figures({ destinationGoneAt: G1 }), previous: prev({ destination: 'http://old.team.svc/', destinationGoneAt: G1, health: cond('False', 'DestinationGone') }) },
      'Unknown', 'DestinationChanged', G1],
    ['…still the same 410: keep waiting',
      { figures: figures({ destinationGoneAt: G1 }), previous: prev({ destinationGoneAt: G1, health: cond('Unknown', 'DestinationChanged') }) }, 'Unknown', 'DestinationChanged', G1],
    ['…a newer 410: gone again',
      { figures: figures({ destinationGoneAt: G2 }), previous: prev({ destinationGoneAt: G1, health: cond('Unknown', 'DestinationChanged') }) }, 'False', 'DestinationGone', G2],
    ['…a delivery: back',
      { figures: figures({ destinationGoneAt: G1, lastDeliveryAt: L }), previous: prev({ destinationGoneAt: G1, health: cond('Unknown', 'DestinationChanged') }) }, 'True', 'DestinationRecovered', G1],
    ['another spec change (not the destination) keeps it gone',
      { figures: figures({ destinationGoneAt: G1 }), previous: prev({ destinationGoneAt: G1, health: cond('False', 'DestinationGone') }) }, 'False', 'DestinationGone', G1],
  ];
  for (const [name, patch, status, reason, goneAt] of table) {
    const h = destinationHealth({ ...base, ...patch });
    assert.deepEqual([h.condition.type, h.condition.status, h.condition.reason, h.destinationGoneAt], ['DestinationHealthy', status, reason, goneAt], name);
  }
});

test('messages say when and what to do', () => {
  const gone = destinationHealth({ ...base, figures: figures({ destinationGoneAt: '2030-01-01T10:00:00.000Z' }) }).condition;
  assert.equal(gone.message, 'The destination answered 410 Gone at 2030-01-01T10:00:00.000Z; its messages are dead-lettered — '
    + 'fix the destination (then redrive the dead letters) or delete the Subscription');
  const back = destinationHealth({ ...base, figures: figures({ destinationGoneAt: '2030-01-01T10:00:00.000Z', lastDeliveryAt: '2030-01-01T10:00:05.000Z' }) }).condition;
  assert.equal(back.message, 'The destination accepted a delivery at 2030-01-01T10:00:05.000Z after answering 410 Gone at 2030-01-01T10:00:00.000Z');
});

test('lastDeliveryAt only moves forward (several receivers, a restarted one)', () => {
  const h = destinationHealth({ ...base, figures: figures({ lastDeliveryAt: '2030-01-01T09:00:00.000Z' }), previous: prev({ lastDeliveryAt: '2030-01-01T10:00:00.000Z' }) });
  assert.equal(h.lastDeliveryAt, '2030-01-01T10:00:00.000Z');
});

test('before the first stats poll (operator just started) the condition stands, unless the destination changed', () => {
  const gone = prev({ destinationGoneAt: '2030-01-01T10:00:00.000Z', health: { ...cond('False', 'DestinationGone'), message: 'gone at …' } });
  assert.deepEqual(destinationHealth({ ...base, previous: gone, pending: true }).condition, { type: 'DestinationHealthy', status: 'False', reason: 'DestinationGone', message: 'gone at …' });
  const healthy = prev({ health: cond('True', 'NoGoneAnswer') });
  assert.equal(destinationHealth({ ...base, previous: healthy, pending: true }).condition.status, 'True');
  assert.equal(destinationHealth({ ...base, previous: healthy }).condition.status, 'Unknown', 'without figures and not pending: Unknown, as before');
  assert.equal(destinationHealth({ ...base, destination: 'http://new.team.svc/', previous: gone, pending: true }).condition.reason, 'DestinationChanged');
});
