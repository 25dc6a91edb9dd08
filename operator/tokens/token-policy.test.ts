import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken, mintToken, tokenAccepted } from '../../shared/tokens.ts';
import { FakeTimers } from '../runtime/fake-timers.ts';
import { RotationReason, tokenPolicy, type TokenPolicyInput } from './token-policy.ts';
import { forceRequest, nextTokenState, readTokenSecret, tokenHashes, type SecretLike } from './token-state.ts';
import { buildTokenSecret } from './token-secret.ts';
import { sub } from '../controllers/testing/fixtures.ts';

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

test('forced rotation: staged until the receiver accepts it, then promoted; old hash kept for the grace period', () => {
  const clock = new FakeTimers(T0);
  const s = sub({ name: 'sink', namespace: 'team-a' });
  const interval = 2 * H;
  const grace = 60_000;
  // The world: the token Secret (what the connector mounts: key `token`) and what the receiver accepts.
  let secret: SecretLike | undefined;
  let receiverAccepts: string[] = [];
  const steps: string[] = [];
  const reconcile = (channelAnnotation?: string) => {
    const current = readTokenSecret(secret);
    const annotation = forceRequest(channelAnnotation, undefined);
    const decision = tokenPolicy({ secret: secret ? current : undefined, annotation, lastHandledAnnotation: current.handled, interval, now: clock.now() });
    const nextAccepted = current.next !== undefined && receiverAccepts.includes(hashToken(current.next));
    const next = nextTokenState({ current, decision, annotation, nextAccepted, graceMs: grace, now: clock.now(), mint: mintToken });
    if (next.step !== 'none') steps.push(next.step);
    secret = buildTokenSecret(s, next.state) as SecretLike;
    return readTokenSecret(secret);
  };
  const connectorToken = () => Buffer.from(secret?.data?.token ?? '', 'base64').toString();
  const receiverSync = () => { receiverAccepts = tokenHashes(secret, clock.now()).map((t) => t.sha256); };

  const first = reconcile();
  assert.deepEqual(steps, ['issued'], 'minted at once when missing');
  assert.deepEqual(reconcile(), first, 'an ordinary reconcile changes nothing');
  receiverSync();

  clock.advance(10 * 60_000);
  const staged = reconcile('now');
  assert.deepEqual(steps, ['issued', 'staged']);
  assert.equal(connectorToken(), first.token, 'the connector keeps the old token while the new one is staged');
  assert.equal(staged.handled, 'channel=now', 'the request is handled once');
  assert.deepEqual(reconcile('now'), staged, 'not promoted before the receiver accepts the new token');

  receiverSync();
  assert.equal(receiverAccepts.length, 2, 'the receiver accepts current and staged');
  const promoted = reconcile('now');
  assert.deepEqual(steps, ['issued', 'staged', 'promoted']);
  assert.equal(connectorToken(), staged.next, 'the connector gets the token the receiver already accepts');
  assert.equal(promoted.previous?.sha256, hashToken(first.token as string));
  assert.equal(promoted.next, undefined);
  reconcile('now');
  assert.equal(steps.length, 3, 'the same annotation value rotates once');

  receiverSync();
  const hashes = () => tokenHashes(secret, clock.now());
  assert.ok(tokenAccepted(first.token as string, hashes(), clock.now()), 'old token accepted during grace');
  assert.ok(tokenAccepted(promoted.token as string, hashes(), clock.now()));
  assert.ok(!JSON.stringify(secret).includes(first.token as string), 'the old token itself is kept nowhere');

  clock.advance(grace);
  assert.ok(!tokenAccepted(first.token as string, hashes(), clock.now()), 'old token revoked after grace');
  const after = reconcile('now');
  assert.equal(after.previous, undefined, 'expired previous hash dropped from the Secret');
  assert.equal(after.token, promoted.token);

  clock.advance(interval);
  reconcile('now');
  assert.deepEqual(steps.slice(3), ['staged'], 'the schedule starts the next rotation');
});

test('an invalid token is replaced at once, without grace', () => {
  const next = nextTokenState({ current: { token: 'leaked', rotatedAt: at(T0) }, decision: { rotate: true, reason: RotationReason.Invalid }, nextAccepted: false, graceMs: H, now: T0, mint: () => good });
  assert.equal(next.step, 'issued');
  assert.equal(next.state.previous, undefined);
  assert.equal(next.state.token, good);
});

test('forceRequest combines channel and subscription requests', () => {
  assert.equal(forceRequest(undefined, undefined), undefined);
  assert.equal(forceRequest('a', undefined), 'channel=a');
  assert.equal(forceRequest('a', 'b'), 'channel=a;subscription=b');
});
