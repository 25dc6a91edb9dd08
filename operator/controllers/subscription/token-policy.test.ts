import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken, mintToken, tokenAccepted } from '../../../shared/tokens.ts';
import { FakeTimers } from '../../runtime/fake-timers.ts';
import { RotationReason, tokenPolicy, type TokenPolicyInput } from './token-policy.ts';
import { forceRequest, nextTokenState, readTokenSecret, tokenHashes, type SecretLike } from './token-state.ts';
import { buildTokenSecret } from './resources/token-secret.ts';
import { sub } from '../testing/fixtures.ts';

const H = 3_600_000;
const T0 = Date.parse('2030-01-01T00:00:00Z');
const good = mintToken();
const at = (ms: number) => new Date(ms).toISOString();

test('token policy chain: first matching check decides', () => {
  const base: TokenPolicyInput = { secret: { token: good, rotatedAt: at(T0) }, interval: 720 * H, now: T0 + H };
  const table: [string, Partial<TokenPolicyInput>, boolean, string][] = [
    ['no secret', { secret: undefined }, true, RotationReason.Missing],
    ['secret without token', { secret: { rotatedAt: at(T0) } }, true, RotationReason.Missing],
    ['not an hbt_ token', { secret: { token: 'hunter2', rotatedAt: at(T0) } }, true, RotationReason.Invalid],
    ['short token', { secret: { token: 'hbt_abc', rotatedAt: at(T0) } }, true, RotationReason.Invalid],
    ['new force annotation', { annotation: 'channel=1' }, true, RotationReason.Forced],
    ['force annotation already handled', { annotation: 'channel=1', lastHandledAnnotation: 'channel=1' }, false, RotationReason.UpToDate],
    ['annotation removed after handling', { annotation: undefined, lastHandledAnnotation: 'channel=1' }, false, RotationReason.UpToDate],
    ['no rotatedAt, creationTimestamp used', { secret: { token: good, createdAt: at(T0) } }, false, RotationReason.UpToDate],
    ['no age at all', { secret: { token: good } }, true, RotationReason.UnknownAge],
    ['just before due', { now: T0 + 720 * H - 1 }, false, RotationReason.UpToDate],
    ['due exactly', { now: T0 + 720 * H }, true, RotationReason.Due],
    ['long overdue', { now: T0 + 9000 * H }, true, RotationReason.Due],
  ];
  for (const [name, patch, rotate, reason] of table) {
    const d = tokenPolicy({ ...base, ...patch });
    assert.equal(d.rotate, rotate, name);
    assert.equal(d.reason, reason, name);
  }
  assert.equal(tokenPolicy(base).nextRotationAt, T0 + 720 * H);
});

test('forced rotation with grace: old hash accepted until grace ends, then dropped; schedule rotates again', () => {
  const clock = new FakeTimers(T0);
  const s = sub({ name: 'sink', namespace: 'team-a' });
  const interval = 2 * H;
  const grace = 60_000;
  // One reconcile: evaluate the policy, compute the next state, write the Secret (here: build it).
  let secret: SecretLike | undefined;
  let rotations = 0;
  const reconcile = (channelAnnotation?: string) => {
    const current = readTokenSecret(secret);
    const annotation = forceRequest(channelAnnotation, undefined);
    const decision = tokenPolicy({ secret: current, annotation, lastHandledAnnotation: current.handled, interval, now: clock.now() });
    const next = nextTokenState({ current, decision, annotation, graceMs: grace, now: clock.now(), mint: mintToken });
    if (next.rotated) rotations++;
    secret = buildTokenSecret(s, next.state) as SecretLike;
    return readTokenSecret(secret);
  };

  const first = reconcile();
  assert.equal(rotations, 1, 'minted when missing');
  assert.equal(first.previous, undefined, 'nothing to keep the first time');
  assert.deepEqual(reconcile(), first, 'an ordinary reconcile changes nothing');
  assert.equal(rotations, 1);

  clock.advance(10 * 60_000);
  const forced = reconcile('now');
  assert.equal(rotations, 2);
  assert.notEqual(forced.token, first.token);
  assert.equal(forced.previous?.sha256, hashToken(first.token as string));
  assert.equal(forced.handled, 'channel=now');
  reconcile('now');
  assert.equal(rotations, 2, 'the same annotation value rotates once');

  const hashes = () => tokenHashes(secret, clock.now());
  assert.ok(tokenAccepted(first.token as string, hashes(), clock.now()), 'old token accepted during grace');
  assert.ok(tokenAccepted(forced.token as string, hashes(), clock.now()));
  assert.ok(!JSON.stringify(secret?.metadata.annotations).includes(first.token as string), 'the old token itself is never kept');

  clock.advance(grace);
  assert.ok(!tokenAccepted(first.token as string, hashes(), clock.now()), 'old token revoked after grace');
  const after = reconcile('now');
  assert.equal(after.previous, undefined, 'expired previous hash dropped from the Secret');
  assert.equal(after.token, forced.token);

  clock.advance(interval);
  const scheduled = reconcile('now');
  assert.equal(rotations, 3, 'rotated by schedule');
  assert.notEqual(scheduled.token, forced.token);
});

test('an invalid token is replaced without grace', () => {
  const next = nextTokenState({ current: { token: 'leaked', rotatedAt: at(T0) }, decision: { rotate: true, reason: RotationReason.Invalid }, graceMs: H, now: T0, mint: () => good });
  assert.equal(next.state.previous, undefined);
  assert.equal(next.state.token, good);
});

test('forceRequest combines channel and subscription requests', () => {
  assert.equal(forceRequest(undefined, undefined), undefined);
  assert.equal(forceRequest('a', undefined), 'channel=a');
  assert.equal(forceRequest('a', 'b'), 'channel=a;subscription=b');
});
