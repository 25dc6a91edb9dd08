import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../shared/logger.ts';
import { FakeTimers } from '../../test/harness/fake-timers.ts';
import { ApiError, type KubeObject } from '../../shared/kube/client.ts';
import { LeaderElector, type LeaseClient } from './leader.ts';

/** An in-memory Lease API whose requests can be made to hang (they settle only when aborted). */
class FakeLeases {
  lease: KubeObject | undefined;
  stalled = false;
  requests = 0;
  #call<T>(signal: AbortSignal | undefined, fn: () => T): Promise<T> {
    this.requests++;
    if (!this.stalled) return Promise.resolve().then(fn);
    return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  }
  client(): LeaseClient {
    return {
      get: ((_r: unknown, _ns: unknown, _n: unknown, o: { signal?: AbortSignal } = {}) => this.#call(o.signal, () => {
        if (!this.lease) throw new ApiError(404, 'NotFound', 'not found');
        return structuredClone(this.lease);
      })) as LeaseClient['get'],
      create: ((_r: unknown, obj: KubeObject, o: { signal?: AbortSignal } = {}) => this.#call(o.signal, () => { this.lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: '1' } }; return this.lease; })) as LeaseClient['create'],
      replace: ((_r: unknown, obj: KubeObject, _s: unknown, o: { signal?: AbortSignal } = {}) => this.#call(o.signal, () => { this.lease = obj; return obj; })) as LeaseClient['replace'],
    };
  }
}

const flush = async () => { for (let i = 0; i < 20; i++) await Promise.resolve(); };

test('a leader whose renewals stall steps down at its renew deadline, before the lease could expire for anyone else', async () => {
  const timers = new FakeTimers();
  const api = new FakeLeases();
  const events: string[] = [];
  const e = new LeaderElector(api.client(), {
    namespace: 'ns', name: 'lease', identity: 'a', timers, logger: createLogger({ name: 't', level: 'silent' }),
    leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000,
    onStartedLeading: () => events.push(`lead@${timers.now()}`), onStoppedLeading: () => events.push(`stop@${timers.now()}`),
  });
  const t0 = timers.now();
  e.start();
  await flush();
  assert.equal(e.isLeader, true);
  timers.advance(2_000); // one ordinary renewal
  await flush();
  const renewedAt = timers.now();
  api.stalled = true;
  for (let i = 0; i < 10 && e.isLeader; i++) { timers.advance(1_000); await flush(); }
  assert.equal(e.isLeader, false);
  assert.deepEqual(events, [`lead@${t0}`, `stop@${renewedAt + 10_000}`], 'stepped down exactly at last renewal + renewDeadline, 5 s before the 15 s lease runs out');
  api.stalled = false;
  await e.stop();
});

test('a renewal that answers after the deadline does not count', async () => {
  const timers = new FakeTimers();
  const api = new FakeLeases();
  let leading = 0;
  const e = new LeaderElector(api.client(), {
    namespace: 'ns', name: 'lease', identity: 'a', timers, logger: createLogger({ name: 't', level: 'silent' }),
    leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500,
    onStartedLeading: () => leading++, onStoppedLeading: () => leading--,
  });
  e.start();
  await flush();
  assert.equal(leading, 1);
  api.stalled = true;
  timers.advance(500);
  await flush();
  timers.advance(1_600); // past the deadline: the stalled round is aborted and we step down
  await flush();
  assert.equal(leading, 0);
  assert.equal(e.isLeader, false);
  api.stalled = false;
  timers.advance(500); // the next round acquires again (the lease is still ours)
  await flush();
  assert.equal(e.isLeader, true);
  await e.stop();
});
