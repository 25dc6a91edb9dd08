// One conformance suite for every MessageBuffer: memory.test.ts runs it on the memory buffer, and
// test/integration/buffer-rabbitmq.test.ts on a real RabbitMQ. Each test uses a channel of its own, so
// one buffer (and one broker) serves the whole suite.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { ChannelConfig, ObjectKey } from '../../shared/config.ts';
import { BufferError, type DeadLetter, type Delivery, type MessageBuffer, type QueueRef, type StoredMessage } from './types.ts';
import { Inbox, channelConfig, message, oneQueued, sleep } from './conformance-support.ts';
import { eventually } from '../../test/harness/eventually.ts';

export { Inbox, channelConfig, message, oneQueued, sleep };

export function runConformance(name: string, getBuffer: () => MessageBuffer): void {
  describe(`MessageBuffer conformance: ${name}`, () => {
    const setup = async (over: Partial<ChannelConfig> & { tiers?: number[] } = {}): Promise<{ b: MessageBuffer; ch: ChannelConfig; q1: QueueRef; q2: QueueRef; s1: ObjectKey; s2: ObjectKey }> => {
      const b = getBuffer();
      const ch = channelConfig(over);
      await b.declareChannel(ch);
      const [s1, s2] = ch.subscriptions.map((s) => ({ namespace: s.namespace, name: s.name }));
      const key = { namespace: ch.namespace, name: ch.name };
      return { b, ch, s1, s2, q1: { channel: key, subscription: s1 }, q2: { channel: key, subscription: s2 } };
    };

    test('publish → consume → ack leaves nothing behind, and the attempt is in the history', async () => {
      const { b, ch, s1, q1 } = await setup();
      const m = message(ch);
      await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 10);
      const d = await inbox.next();
      assert.equal(d.message.id, m.id);
      assert.equal(d.attempt, 1);
      assert.equal(d.deliveryCount, 0);
      await d.ack({ statusCode: 200, latencyMs: 12 });
      await eventually(async () => { assert.deepEqual(await b.stats(q1), { messagesQueued: 0, messagesInFlight: 0, messagesHeld: 0, deadLettered: 0, oldestMessageAgeSeconds: 0 }); return true; });
      const h = await b.messageHistory(m.id);
      assert.equal(h?.subscriptions['ns-a/s1'].state, 'delivered');
      assert.deepEqual(h?.subscriptions['ns-a/s1'].attempts.map((a) => [a.attempt, a.result?.statusCode]), [[1, 200]]);
      await inbox.close();
    });

    test('every routed subscription gets the same bytes and metadata (binary, not UTF-8)', async () => {
      const { b, ch, s1, s2, q1, q2 } = await setup();
      const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0x00]);
      const m = message(ch, { body, eventType: 'invoice.paid', contentType: 'application/octet-stream', headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=ab' }, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      await b.publish(m, [s1, s2]);
      for (const q of [q1, q2]) {
        const inbox = await Inbox.open(b, q, 10);
        const d = await inbox.next();
        assert.deepEqual({ ...d.message, body: [...d.message.body] }, { ...m, body: [...body] });
        assert.deepEqual(d.queue, q);
        await d.ack();
        await inbox.close();
      }
    });

    test('a full queue rejects with queue_full, stores the message nowhere, and keeps what it had', async () => {
      const { b, ch, s1, s2, q1, q2 } = await setup({ maxQueueSize: 3 });
      const first = [message(ch), message(ch), message(ch)];
      for (const m of first) await b.publish(m, [s1]);
      await assert.rejects(b.publish(message(ch), [s1]), (e: unknown) => e instanceof BufferError && e.code === 'queue_full');
      await assert.rejects(b.publish(message(ch), [s2, s1]), (e: unknown) => e instanceof BufferError && e.code === 'queue_full');
      const s = await b.stats(q2);
      assert.equal(s.messagesQueued, 0, 'the other route got nothing');
      const inbox = await Inbox.open(b, q1, 10);
      const got = [await inbox.next(), await inbox.next(), await inbox.next()];
      assert.deepEqual(got.map((d) => d.message.id), first.map((m) => m.id));
      for (const d of got) await d.ack();
      await eventually(async () => { await b.publish(message(ch), [s1]); return true; }, { message: 'accepts again once there is room' });
      await inbox.close();
    });

    test('release → redelivered with deliveryCount + 1, same attempt', async () => {
      const { b, ch, s1, q1 } = await setup();
      await b.publish(message(ch), [s1]);
      const inbox = await Inbox.open(b, q1, 1);
      const d1 = await inbox.next();
      await d1.release();
      const d2 = await inbox.next();
      assert.equal(d2.message.id, d1.message.id);
      assert.equal(d2.deliveryCount, 1);
      assert.equal(d2.attempt, 1);
      await d2.ack();
      await inbox.close();
    });

    test('cancel returns unsettled deliveries; the next consumer sees deliveryCount + 1', async () => {
      const { b, ch, s1, q1 } = await setup();
      const m = message(ch);
      await b.publish(m, [s1]);
      const a = await Inbox.open(b, q1, 5);
      assert.equal((await a.next()).message.id, m.id);
      await a.close();
      const c = await Inbox.open(b, q1, 5);
      const d = await c.next();
      assert.equal(d.message.id, m.id);
      assert.equal(d.deliveryCount, 1);
      await d.ack();
      await c.close();
    });

    test('past deliveryLimit a released message is dead-lettered with reason delivery_limit', async () => {
      const { b, ch, s1, q1 } = await setup({ deliveryLimit: 1 });
      const m = message(ch);
      await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 1);
      assert.equal((await inbox.next()).deliveryCount, 0);
      await (inbox.last as Delivery).release();
      const again = await inbox.next();
      assert.equal(again.deliveryCount, 1);
      await again.release();
      const dl = await eventually(async () => {
        const [one] = await b.listDeadLetters(q1, { limit: 10 });
        assert.ok(one, 'dead letter present');
        return one;
      });
      assert.equal(dl.id, m.id);
      assert.equal(dl.reason, 'delivery_limit');
      assert.equal(dl.attempts, 1);
      assert.deepEqual([...dl.message.body], [...m.body]);
      await eventually(async () => { assert.equal((await b.messageHistory(m.id))?.subscriptions['ns-a/s1']?.state, 'dead_lettered'); return true; });
      await inbox.close();
    });

    test('retry(delay) waits in the smallest tier >= delay, then comes back to that subscription only with attempt + 1', async () => {
      const { b, ch, s1, s2, q1, q2 } = await setup({ tiers: [100, 400] });
      const m = message(ch);
      await b.publish(m, [s1, s2]);
      const inbox = await Inbox.open(b, q1, 5);
      const d = await inbox.next();
      const retriedAt = Date.now();
      await d.retry(150, { statusCode: 503, latencyMs: 3, error: 'Service Unavailable' });
      assert.equal((await b.stats(q1)).messagesQueued, 1, 'a waiting retry counts as queued');
      const back = await inbox.next(5_000);
      assert.ok(Date.now() - retriedAt >= 400, `came back after ${Date.now() - retriedAt} ms, tier is 400`);
      assert.equal(back.message.id, m.id);
      assert.equal(back.attempt, 2);
      assert.equal(back.deliveryCount, 0);
      assert.deepEqual([...back.message.body], [...m.body]);
      await back.ack({ statusCode: 204, latencyMs: 2 });
      const h = await b.messageHistory(m.id);
      assert.deepEqual(h?.subscriptions['ns-a/s1'].attempts.map((a) => [a.attempt, a.result?.statusCode]), [[1, 503], [2, 204]]);
      assert.equal(h?.subscriptions['ns-a/s1'].state, 'delivered');
      assert.equal((await b.stats(q2)).messagesQueued, 1, 's2 still has only its own copy');
      await inbox.close();
    });

    test('retry(delay) longer than every tier is honoured: re-parked until the delay is over, same attempt, one attempt recorded', async () => {
      const { b, ch, s1, q1 } = await setup({ tiers: [50] });
      const m = message(ch);
      await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 5);
      const d = await inbox.next();
      const retriedAt = Date.now();
      await d.retry(300, { statusCode: 429, latencyMs: 2 });
      await sleep(150); // proves a negative: nothing is handed out before the 300 ms delay
      assert.equal(inbox.received, 1, 'not handed out after the 50 ms tier');
      // eventually: a message moving between queues can be missed by one stats read (RabbitMQ dead-letters asynchronously)
      await eventually(async () => { assert.equal((await b.stats(q1)).messagesQueued, 1); return true; }, { message: 'still counted as queued while parked again' });
      const back = await inbox.next(5_000);
      assert.ok(Date.now() - retriedAt >= 300, `came back after ${Date.now() - retriedAt} ms, asked for 300`);
      assert.equal(back.message.id, m.id);
      assert.equal(back.attempt, 2, 'the re-parking did not count as attempts');
      assert.equal(back.deliveryCount, 0);
      assert.deepEqual([...back.message.body], [...m.body]);
      await back.ack({ statusCode: 200, latencyMs: 1 });
      const h = await eventually(async () => {
        const x = await b.messageHistory(m.id);
        assert.equal(x?.subscriptions['ns-a/s1'].state, 'delivered');
        return x;
      });
      assert.deepEqual(h?.subscriptions['ns-a/s1'].attempts.map((a) => [a.attempt, a.result?.statusCode]), [[1, 429], [2, 200]]);
      await inbox.close();
    });

    test('retry with attempted: false (not tried) comes back with the SAME attempt; the history shows no attempt for it', async () => {
      const { b, ch, s1, q1 } = await setup({ tiers: [50, 400] });
      const m = message(ch);
      await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 5);
      const first = await inbox.next();
      await first.retry(10, { statusCode: 503, latencyMs: 4 });
      const second = await inbox.next();
      assert.equal(second.attempt, 2);
      await second.retry(10, undefined, { attempted: false, reason: 'circuit open' });
      await eventually(async () => { assert.equal((await b.messageHistory(m.id))?.subscriptions['ns-a/s1']?.reason, 'not attempted: circuit open'); return true; });
      const third = await inbox.next();
      assert.equal(third.message.id, m.id);
      assert.equal(third.attempt, 2, 'a retry that was not attempted keeps the attempt number');
      assert.equal(third.deliveryCount, 0);
      await third.ack({ statusCode: 200, latencyMs: 1 });
      const h = await eventually(async () => {
        const x = await b.messageHistory(m.id);
        assert.equal(x?.subscriptions['ns-a/s1'].state, 'delivered');
        return x;
      });
      assert.deepEqual(h?.subscriptions['ns-a/s1'].attempts.map((a) => [a.attempt, a.result?.statusCode]), [[1, 503], [2, 200]]);
      await inbox.close();
    });

    test('dead(reason) → in the dead-letter queue with reason, attempts and last result', async () => {
      const { b, ch, s1, q1 } = await setup();
      const m = message(ch, { eventType: 'order.created' });
      await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 5);
      const before = Date.now();
      await (await inbox.next()).dead('410 Gone', { statusCode: 410, latencyMs: 5 });
      const [dl] = await b.listDeadLetters(q1, { limit: 10 });
      assert.equal(dl.id, m.id);
      assert.equal(dl.reason, '410 Gone');
      assert.equal(dl.attempts, 1);
      assert.deepEqual(dl.lastResult, { statusCode: 410, latencyMs: 5 });
      assert.ok(dl.deadLetteredAt >= before - 1000 && dl.deadLetteredAt <= Date.now() + 1000);
      assert.equal(dl.message.eventType, 'order.created');
      assert.deepEqual(dl.queue, q1);
      assert.equal((await b.stats(q1)).deadLettered, 1);
      assert.equal((await b.messageHistory(m.id))?.subscriptions['ns-a/s1'].reason, '410 Gone');
      await inbox.close();
    });

    test('dead letters: list, redrive and purge by id, by time range, by reason and event type', async () => {
      const { b, ch, s1, q1 } = await setup();
      const msgs = [0, 1, 2, 3].map((i) => message(ch, { eventType: i % 2 ? 'odd' : 'even' }));
      for (const m of msgs) await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 10);
      const at: number[] = [];
      for (let i = 0; i < 4; i++) {
        const d = await inbox.next();
        at.push(Date.now());
        await d.dead(i < 2 ? 'early' : 'late: 500');
        await sleep(30); // not a wait for I/O: spreads the dead-letter times apart so they order by time
      }
      const ids = (dls: DeadLetter[]): string[] => dls.map((d) => d.id).sort();
      const sorted = (xs: StoredMessage[]): string[] => xs.map((m) => m.id).sort();
      assert.deepEqual(ids(await b.listDeadLetters(q1, { limit: 10 })), sorted(msgs));
      assert.equal((await b.listDeadLetters(q1, { limit: 2 })).length, 2);
      assert.deepEqual(ids(await b.listDeadLetters(q1, { limit: 10, filter: { ids: [msgs[1].id] } })), [msgs[1].id]);
      assert.deepEqual(ids(await b.listDeadLetters(q1, { limit: 10, filter: { reason: 'late' } })), sorted(msgs.slice(2)));
      assert.deepEqual(ids(await b.listDeadLetters(q1, { limit: 10, filter: { eventType: 'odd' } })), sorted([msgs[1], msgs[3]]));
      const range = { since: at[2] - 5, until: Date.now() + 1 };
      assert.deepEqual(ids(await b.listDeadLetters(q1, { limit: 10, filter: range })), sorted(msgs.slice(2)));

      assert.equal(await b.redriveDeadLetters(q1, { ids: [msgs[0].id] }), 1);
      const back = await inbox.next();
      assert.equal(back.message.id, msgs[0].id);
      assert.equal(back.attempt, 1);
      assert.deepEqual([...back.message.body], [...msgs[0].body]);
      await back.ack();

      assert.equal(await b.purgeDeadLetters(q1, range), 2);
      assert.deepEqual(ids(await b.listDeadLetters(q1, { limit: 10 })), [msgs[1].id]);
      assert.equal(await b.purgeDeadLetters(q1, { ids: ['no-such-id'] }), 0);
      assert.equal(await b.redriveDeadLetters(q1, {}), 1);
      assert.equal((await inbox.next()).message.id, msgs[1].id);
      assert.equal((await b.stats(q1)).deadLettered, 0);
      await inbox.close();
    });

    test('a redrive keeps every earlier attempt, is recorded itself, and the attempts after it count from 1 again', async () => {
      const { b, ch, s1, q1 } = await setup({ tiers: [10] });
      const m = message(ch);
      await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 1);
      await (await inbox.next()).retry(10, { statusCode: 503, latencyMs: 5 });
      const second = await inbox.next();
      assert.equal(second.attempt, 2);
      await second.dead('max_attempts: 500', { statusCode: 500, latencyMs: 6 });
      await eventually(async () => { assert.equal((await b.stats(q1)).deadLettered, 1); return true; });
      for (let round = 1; round <= 2; round++) {
        assert.equal(await b.redriveDeadLetters(q1, { ids: [m.id] }), 1);
        const back = await inbox.next();
        assert.equal(back.attempt, 1, 'a redrive starts the attempts again');
        if (round === 1) await back.dead('max_attempts: 502', { statusCode: 502, latencyMs: 7 });
        else await back.ack({ statusCode: 200, latencyMs: 8 });
        if (round === 1) await eventually(async () => { assert.equal((await b.stats(q1)).deadLettered, 1); return true; });
      }
      const h = await eventually(async () => {
        const x = (await b.messageHistory(m.id))?.subscriptions['ns-a/s1'];
        assert.equal(x?.state, 'delivered');
        assert.equal(x?.attempts.length, 4);
        return x;
      });
      assert.deepEqual(h.attempts.map((a) => [a.redrive ?? 0, a.attempt, a.result?.statusCode]), [[0, 1, 503], [0, 2, 500], [1, 1, 502], [2, 1, 200]]);
      assert.equal(h.redrives.length, 2, 'each redrive is in the history');
      assert.ok(h.redrives[0].at >= h.attempts[1].at && h.redrives[0].at <= h.attempts[2].at, 'in its place between the attempts');
      await inbox.close();
    });

    test('a message older than ttlSeconds expires into the dead-letter queue with reason expired', async () => {
      const { b, ch, s1, q1 } = await setup({ ttlSeconds: 0.3 });
      const m = message(ch);
      await b.publish(m, [s1]);
      const dl = await eventually(async () => {
        const [one] = await b.listDeadLetters(q1, { limit: 10 });
        assert.ok(one, 'expired message in the DLQ');
        return one;
      }, { message: 'expiry', timeoutMs: 10_000 });
      assert.equal(dl.id, m.id);
      assert.equal(dl.reason, 'expired');
      assert.equal((await b.stats(q1)).messagesQueued, 0);
      await eventually(async () => { assert.equal((await b.messageHistory(m.id))?.subscriptions['ns-a/s1']?.state, 'expired'); return true; });
    });

    test('prefetch: at most `prefetch` unsettled deliveries; settling one lets the next through', async () => {
      const { b, ch, s1, q1 } = await setup();
      for (let i = 0; i < 5; i++) await b.publish(message(ch), [s1]);
      const inbox = await Inbox.open(b, q1, 2);
      const a = await inbox.next();
      await inbox.next();
      await sleep(150); // proves a negative: no third delivery past the prefetch
      assert.equal(inbox.received, 2);
      await a.ack();
      await inbox.next();
      await sleep(150); // proves a negative: settling one lets exactly one more through
      assert.equal(inbox.received, 3);
      await inbox.close();
    });

    test('acks settled out of order, in one turn and across turns, settle exactly those: what was not acked comes back, nothing else', async () => {
      const { b, ch, s1, q1 } = await setup();
      const sent = Array.from({ length: 8 }, () => message(ch));
      for (const m of sent) await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 8, { readAhead: 4 });
      const ds: Delivery[] = [];
      for (let i = 0; i < 8; i++) ds.push(await inbox.next());
      // One turn: 3, 1, 0 (a run from the bottom) and 6 (above the unsettled 2, 4 and 5).
      await Promise.all([ds[3].ack(), ds[1].ack(), ds[0].ack(), ds[6].ack()]);
      await sleep(20);
      await ds[2].release(); // between settled ones: it alone comes back
      const back = await inbox.next();
      assert.equal(back.message.id, sent[2].id);
      assert.equal(back.deliveryCount, 1);
      await Promise.all([ds[7].ack(), ds[5].ack(), back.ack()]); // a later turn, with 4 still unsettled below them
      await sleep(20);
      await inbox.close(); // 4 was never settled: it goes back to the queue
      const again = await Inbox.open(b, q1, 10);
      const last = await again.next();
      assert.equal(last.message.id, sent[4].id);
      assert.equal(last.deliveryCount, 1);
      await sleep(200); // proves a negative: nothing that was acked comes back
      assert.equal(again.received, 1);
      await last.ack();
      await eventually(async () => { assert.equal((await b.stats(q1)).messagesQueued, 0); return true; });
      await again.close();
    });

    test('acks of the turn the consumer ends in are kept: only what was not acked comes back', async () => {
      const { b, ch, s1, q1 } = await setup();
      const sent = Array.from({ length: 3 }, () => message(ch));
      for (const m of sent) await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 3);
      const ds: Delivery[] = [];
      for (let i = 0; i < 3; i++) ds.push(await inbox.next());
      await ds[0].ack();
      await ds[2].ack();
      await inbox.close(); // same turn as the acks
      const again = await Inbox.open(b, q1, 10);
      const back = await again.next();
      assert.equal(back.message.id, sent[1].id);
      await sleep(200); // proves a negative: the acked ones stay acked
      assert.equal(again.received, 1);
      await back.ack();
      await again.close();
    });

    test('read-ahead: still at most `prefetch` handed out, in order; queued, not in flight; all back when the consumer ends', async () => {
      const { b, ch, s1, q1 } = await setup();
      const sent = Array.from({ length: 6 }, () => message(ch));
      for (const m of sent) await b.publish(m, [s1]);
      const inbox = await Inbox.open(b, q1, 2, { readAhead: 3 });
      const first = [await inbox.next(), await inbox.next()];
      await sleep(150); // proves a negative: read-ahead does not hand out more than the prefetch
      assert.equal(inbox.received, 2);
      await eventually(async () => {
        const s = await b.stats(q1);
        assert.deepEqual([s.messagesQueued, s.messagesInFlight], [6, 2]);
        return true;
      });
      await first[0].ack();
      const third = await inbox.next();
      await sleep(150); // proves a negative: still no more than the prefetch unsettled
      assert.equal(inbox.received, 3);
      assert.deepEqual([...first, third].map((d) => d.message.id), sent.slice(0, 3).map((m) => m.id));
      await inbox.close();
      const again = await Inbox.open(b, q1, 10);
      const rest: Delivery[] = [];
      for (let i = 0; i < 5; i++) rest.push(await again.next());
      assert.deepEqual(rest.map((d) => d.message.id).sort(), sent.slice(1).map((m) => m.id).sort());
      for (const d of rest.filter((x) => x.message.id === sent[1].id || x.message.id === sent[2].id)) assert.equal(d.deliveryCount, 1);
      for (const d of rest) await d.ack();
      await eventually(async () => { assert.equal((await b.stats(q1)).messagesQueued, 0); return true; });
      await again.close();
    });

    test('stats: queued counts ready + in flight, in-flight, dead letters, and the oldest message age', async () => {
      const { b, ch, s1, q1 } = await setup();
      const old = message(ch, { receivedAt: Date.now() - 5_000 });
      await b.publish(old, [s1]);
      for (let i = 0; i < 2; i++) await b.publish(message(ch), [s1]);
      const idle = await b.stats(q1);
      assert.equal(idle.messagesQueued, 3);
      assert.ok(idle.oldestMessageAgeSeconds >= 5, `oldest age with no consumer ${idle.oldestMessageAgeSeconds}`);
      const inbox = await Inbox.open(b, q1, 1);
      const d = await inbox.next();
      const s = await b.stats(q1);
      assert.equal(s.messagesQueued, 3);
      assert.equal(s.messagesInFlight, 1);
      assert.equal(s.deadLettered, 0);
      assert.ok(s.oldestMessageAgeSeconds >= 5, `oldest age ${s.oldestMessageAgeSeconds}`);
      await d.dead('bad');
      await inbox.next();
      const s2 = await b.stats(q1);
      assert.equal(s2.messagesQueued, 2);
      assert.equal(s2.deadLettered, 1);
      assert.ok(s2.oldestMessageAgeSeconds < 5);
      await inbox.close();
    });

    test('publishing to an undeclared channel or an unbound subscription is a buffer_error', async () => {
      const { b, ch } = await setup();
      const stranger = { ...message(ch), channel: { namespace: 'ns-a', name: `nope-${randomBytes(3).toString('hex')}` } };
      await assert.rejects(b.publish(stranger, [{ namespace: 'ns-a', name: 's1' }]), (e: unknown) => e instanceof BufferError && e.code === 'buffer_error');
      await assert.rejects(b.publish(message(ch), [{ namespace: 'ns-a', name: 'not-bound' }]), (e: unknown) => e instanceof BufferError && e.code === 'buffer_error');
    });

    test('removeChannel with deleteQueues drops the queues; declaring again starts empty', async () => {
      const { b, ch, s1, q1 } = await setup();
      await b.publish(message(ch), [s1]);
      await b.removeChannel(ch, { deleteQueues: true });
      await assert.rejects(b.publish(message(ch), [s1]), (e: unknown) => e instanceof BufferError && e.code === 'buffer_error');
      await b.declareChannel(ch);
      assert.equal((await b.stats(q1)).messagesQueued, 0);
    });

    test('listMessages: a channel\'s messages newest first, filtered by subscription, state, event type and time, in cursor pages', async () => {
      const { b, ch, s1, s2, q1 } = await setup();
      const key = `${ch.namespace}/${ch.name}`;
      const t0 = Date.now() - 60_000;
      const sent: { id: string; at: number }[] = [];
      for (let i = 0; i < 5; i++) { // i=0..4, one second apart; even ones are invoice.paid, odd ones push; 4 only for s2
        const m = message(ch, { receivedAt: t0 + i * 1000, eventType: i % 2 === 0 ? 'invoice.paid' : 'push' });
        const routes = i === 4 ? [s2] : [s1, s2];
        await b.publish(m, routes);
        b.recordEvent({ id: m.id, at: m.receivedAt, kind: 'received', channel: key, subscriptions: routes.map((r) => `${r.namespace}/${r.name}`), eventType: m.eventType });
        sent.push({ id: m.id, at: m.receivedAt });
      }
      const o = await setup(); // another channel's message stays out of this listing
      const om = message(o.ch);
      await o.b.publish(om, [o.s1]);
      o.b.recordEvent({ id: om.id, at: om.receivedAt, kind: 'received', channel: `${o.ch.namespace}/${o.ch.name}`, subscriptions: ['ns-a/s1'] });
      // s1: the oldest message is delivered, the next is dead-lettered after a 503
      const inbox = await Inbox.open(b, q1, 10);
      const first = await inbox.next();
      const second = await inbox.next();
      await first.ack({ statusCode: 200, latencyMs: 3 });
      await second.dead('max attempts reached', { statusCode: 503, latencyMs: 4, error: 'HTTP 503' });
      await inbox.close();
      const ids = (p: { messages: { id: string }[] }) => p.messages.map((m) => m.id);
      const newestFirst = sent.map((m) => m.id).reverse();

      const all = await b.listMessages({ channel: key, limit: 100 });
      assert.deepEqual(ids(all), newestFirst, 'only this channel, newest first');
      assert.equal(all.next, undefined);
      assert.equal(all.messages[4].eventType, 'invoice.paid');

      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await b.listMessages({ channel: key, limit: 2, ...(cursor && { cursor }) });
        pages.push(ids(page));
        cursor = page.next;
      } while (cursor);
      assert.deepEqual(pages, [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)], 'pages of 2, nothing repeated or skipped');

      await eventually(async () => {
        const dead = await b.listMessages({ channel: key, subscription: 'ns-a/s1', state: 'dead_lettered', limit: 10 });
        assert.deepEqual(ids(dead), [sent[1].id]);
        const h = dead.messages[0].subscriptions['ns-a/s1'];
        assert.deepEqual(h.attempts.map((a) => a.result), [{ statusCode: 503, latencyMs: 4, error: 'HTTP 503' }]);
        return true;
      });
      assert.deepEqual(ids(await b.listMessages({ channel: key, subscription: 'ns-a/s1', state: 'delivered', limit: 10 })), [sent[0].id]);
      assert.deepEqual(ids(await b.listMessages({ channel: key, subscription: 'ns-a/s1', limit: 10 })), newestFirst.slice(1), 'message 4 was not routed to s1');
      assert.deepEqual(ids(await b.listMessages({ channel: key, state: 'pending', limit: 10 })), newestFirst, 'pending for s2 counts without a subscription named');
      assert.deepEqual(ids(await b.listMessages({ channel: key, eventType: 'push', limit: 10 })), [sent[3].id, sent[1].id]);
      assert.deepEqual(ids(await b.listMessages({ channel: key, eventType: 'invoice.*', limit: 10 })), [sent[4].id, sent[2].id, sent[0].id]);
      assert.deepEqual(ids(await b.listMessages({ channel: key, since: t0 + 1000, until: t0 + 3000, limit: 10 })), [sent[2].id, sent[1].id]);
    });
  });
}
