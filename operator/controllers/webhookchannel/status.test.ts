import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mintToken } from '../../../shared/tokens.ts';
import { condFalse, condTrue } from '../../runtime/conditions.ts';
import { buildTokenSecret } from '../../tokens/token-secret.ts';
import type { SecretLike } from '../../tokens/token-state.ts';
import { channel, sub } from '../testing/fixtures.ts';
import type { StatsView } from '../../stats/receiver-stats.ts';
import { channelStatus, type ChannelStatusInput } from './status.ts';

const now = Date.parse('2030-01-02T00:00:00Z');
const ch = channel({ name: 'payments', namespace: 'shop' });
const s1 = sub({ name: 'one', namespace: 'shop' });
const s2 = sub({ name: 'two', namespace: 'shop' });
const secrets = new Map<string, SecretLike>([
  ['one', buildTokenSecret(s1, { token: mintToken(), rotatedAt: '2030-01-01T00:00:00Z' }) as SecretLike],
  ['two', buildTokenSecret(s2, { token: mintToken(), rotatedAt: '2030-01-01T12:00:00Z' }) as SecretLike],
]);
const ok: StatsView = { state: 'ok', stats: { backlog: 4, inFlight: 0, connected: 1, deadLettered: 2, subscriptions: {} } };
const base: ChannelStatusInput = {
  channel: ch, publicUrl: 'https://hooks.example.com/', bound: [s1, s2], tokenSecret: (s) => secrets.get(s.metadata.name),
  receiverConfigured: condTrue('ReceiverConfigured', 'Configured'), stats: ok, now,
};
const cond = (st: ReturnType<typeof channelStatus>, type: string) => st.conditions?.find((c) => c.type === type);

test('channel status table', () => {
  const table: [string, Partial<ChannelStatusInput>, string, string][] = [
    ['all good', {}, 'True', 'Ready'],
    ['no subscriptions', { bound: [] }, 'True', 'Ready'],
    ['a token missing', { tokenSecret: (s) => (s.metadata.name === 'one' ? secrets.get('one') : undefined) }, 'Unknown', 'TokensPending'],
    ['verify secret missing', { receiverConfigured: condFalse('ReceiverConfigured', 'VerifySecretNotFound', 'x') }, 'False', 'VerifySecretNotFound'],
    ['receiver unreachable does not hold Ready back', { stats: { state: 'unreachable', error: 'x' } }, 'True', 'Ready'],
    ['buffer error does', { stats: { state: 'bufferError', error: 'x' } }, 'False', 'BufferError'],
  ];
  for (const [name, patch, status, reason] of table) {
    const ready = cond(channelStatus({ ...base, ...patch }), 'Ready');
    assert.equal(ready?.status, status, name);
    assert.equal(ready?.reason, reason, name);
  }
});

test('url, counts, receiver figures and rotation times', () => {
  const st = channelStatus(base);
  assert.equal(st.url, 'https://hooks.example.com/webhook/shop/payments');
  assert.deepEqual([st.subscriptions, st.connectedConnectors, st.backlog, st.deadLettered], [2, 1, 4, 2]);
  assert.equal(st.tokenRotatedAt, '2030-01-01T00:00:00Z', 'the oldest current token');
  assert.equal(st.nextTokenRotationAt, '2030-01-31T00:00:00Z', 'plus the 720h interval');
  const away = channelStatus({ ...base, previous: st, stats: { state: 'unreachable', error: 'down' } });
  assert.equal(away.backlog, 4, 'last known figures kept while the receiver is away');
  assert.equal(cond(away, 'BufferReady')?.reason, 'ReceiverUnreachable');
  assert.equal(cond(away, 'Ready')?.lastTransitionTime, cond(st, 'Ready')?.lastTransitionTime);
});

test('before the first stats poll (operator just started) BufferReady stands as it was: no flap, same lastTransitionTime', () => {
  const settled = channelStatus(base);
  const restarted = channelStatus({ ...base, previous: settled, stats: { state: 'pending' }, now: now + 60_000 });
  assert.deepEqual(restarted, settled);
  const fresh = cond(channelStatus({ ...base, stats: { state: 'pending' } }), 'BufferReady');
  assert.deepEqual([fresh?.status, fresh?.reason], ['Unknown', 'StatsPending'], 'nothing known before: Unknown until the receivers answer');
});
