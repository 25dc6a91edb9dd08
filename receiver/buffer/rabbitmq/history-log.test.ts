// HistoryLog's write side without a broker: batches pipelined (a few publishes in flight, every event
// published once), a backlog past its bound dropped oldest first with one warning, not one per event, and
// a flush that ends without sending anything (nothing pending, broker away) never blocks the later ones.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { createLogger } from '../../../shared/logger.ts';
import type { MessageEvent } from '../types.ts';
import { HistoryLog } from './history-log.ts';
import type { Publisher } from './publisher.ts';

function harness(): { log: HistoryLog; published: string[]; inFlight: () => number; maxInFlight: () => number; release(): void; hold(on: boolean): void; connected(on: boolean): void; warnings: () => string[]; logs: () => string } {
  const published: string[] = [];
  let inFlight = 0;
  let max = 0;
  let held = false;
  const waiting: (() => void)[] = [];
  const publisher = {
    ready: true,
    publish: (_ex: string, _q: string, body: Buffer) => new Promise<void>((resolve) => {
      inFlight++;
      max = Math.max(max, inFlight);
      const done = () => {
        inFlight--;
        if (body.length > 0) for (const e of JSON.parse(zlib.inflateRawSync(body).toString()) as MessageEvent[]) published.push(e.id);
        resolve();
      };
      if (held) waiting.push(done); else setImmediate(done);
    }),
  } as unknown as Publisher;
  let out = '';
  const logger = createLogger({ name: 'history-test', level: 'warn', destination: new Writable({ write(c, _e, cb) { out += String(c); cb(); } }) });
  const log = new HistoryLog({ logger, publisher, clock: Date.now, batchSize: 500, flushMs: 5 });
  return {
    log, published, inFlight: () => inFlight, maxInFlight: () => max,
    release: () => { held = false; for (const w of waiting.splice(0)) w(); },
    hold: (on) => { held = on; },
    connected: (on) => { (publisher as { ready: boolean }).ready = on; },
    warnings: () => out.split('\n').filter((l) => l.includes('backlog full')),
    logs: () => out,
  };
}

const event = (i: number): MessageEvent => ({ id: `m${i}`, at: Date.now(), kind: 'state', subscription: 'ns/s', state: 'in_flight' });

test('every event is published once; several batches go out at a time', async () => {
  const h = harness();
  for (let i = 0; i < 5000; i++) h.log.record(event(i));
  await h.log.close();
  assert.equal(h.published.length, 5000);
  assert.equal(new Set(h.published).size, 5000);
  assert.ok(h.maxInFlight() > 1 && h.maxInFlight() <= 4, `batches in flight at most: ${h.maxInFlight()}`);
});

test('a backlog past 100k unsent events loses its oldest events, with one warning', async () => {
  const h = harness();
  h.hold(true);
  for (let i = 0; i < 130_000; i++) h.log.record(event(i));
  assert.equal(h.warnings().length, 1);
  h.release();
  await h.log.close();
  assert.ok(h.published.length < 120_000, `published ${h.published.length}`);
  assert.ok(h.published.includes('m129999'), 'the newest event was kept');
  assert.ok(!h.published.includes('m5000'), 'an old unsent event was dropped');
});

test('a flush that finds nothing to send does not hold up the events recorded after it', async () => {
  const h = harness();
  await h.log.flush();
  h.log.record(event(1));
  await h.log.close();
  assert.deepEqual(h.published, ['m1']);
});

test('events recorded while the broker is away are sent once it is back', async () => {
  const h = harness();
  h.connected(false);
  h.log.record(event(1));
  await h.log.flush(); // not connected: kept for the next try
  assert.deepEqual(h.published, []);
  h.connected(true);
  h.log.record(event(2));
  await h.log.close();
  assert.deepEqual(h.published, ['m1', 'm2']);
});

test('close() while the broker is away leaves no retry behind (a retry timer kept the test process alive)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const h = harness();
  h.connected(false);
  h.log.record(event(1));
  await h.log.close();
  t.mock.timers.tick(60_000); // with a retry armed, it would fire (and fail and re-arm) here, many times
  await new Promise((r) => setImmediate(r));
  assert.equal(h.logs().split('\n').filter((l) => l.includes('will retry')).length, 0, h.logs());
  assert.equal(h.logs().split('\n').filter((l) => l.includes('not written before close')).length, 1, h.logs());
  assert.deepEqual(h.published, []);
});

test('an in_flight state its outcome supersedes before it is written never reaches the stream; one already written stays', async () => {
  const h = harness();
  const at = Date.now();
  h.log.record({ id: 'early', at, kind: 'state', subscription: 'ns/s', attempt: 1, state: 'in_flight' });
  await h.log.flush(); // written before its outcome
  h.log.record({ id: 'early', at: at + 1, kind: 'attempt', subscription: 'ns/s', attempt: 1, state: 'delivered', result: { statusCode: 200, latencyMs: 1 } });
  h.log.record({ id: 'quick', at, kind: 'received', channel: 'ns/ch', subscriptions: ['ns/s'] });
  h.log.record({ id: 'quick', at: at + 1, kind: 'state', subscription: 'ns/s', attempt: 1, state: 'in_flight' });
  h.log.record({ id: 'quick', at: at + 2, kind: 'attempt', subscription: 'ns/s', attempt: 1, state: 'delivered', result: { statusCode: 200, latencyMs: 1 } });
  await h.log.close();
  assert.deepEqual(h.published, ['early', 'early', 'quick', 'quick'], 'quick: received and its attempt; its in_flight was superseded while pending');
  assert.equal(h.log.index.get('quick')?.subscriptions['ns/s'].state, 'delivered');
  assert.equal(h.log.index.get('early')?.subscriptions['ns/s'].attempts.length, 1);
});
