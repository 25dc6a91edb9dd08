// Consumers without a broker, on fake channels: what a consumer holds when its connection dies during the
// setup of a reconnect (before the connection counted as up, so no detachAll()).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { createLogger } from '../../../shared/logger.ts';
import { channelConfig, message } from '../conformance-support.ts';
import type { Delivery } from '../types.ts';
import { encodeOptions } from './codec.ts';
import { Consumers } from './consumers.ts';
import type { Publisher } from './publisher.ts';

/** A connection whose channels record their consume callback, so a test can deliver on any of them. */
function fakeModel(): { model: ChannelModel; deliver: (m: ConsumeMessage) => void } {
  let onMessage: ((m: ConsumeMessage | null) => void) | undefined;
  const channel = {
    on: () => channel,
    prefetch: async () => {},
    consume: async (_q: string, cb: (m: ConsumeMessage | null) => void) => { onMessage = cb; return { consumerTag: 't' }; },
    ack: () => {}, nack: () => {}, close: async () => {},
  };
  return { model: { createChannel: async () => channel } as unknown as ChannelModel, deliver: (m) => onMessage?.(m) };
}

test('deliveries of a channel whose connection died during setup do not fill the next channel\'s window', async () => {
  const ch = channelConfig();
  const queue = { channel: ch, subscription: { namespace: 'ns-a', name: 's1' } };
  const msg = (tag: number): ConsumeMessage => {
    const o = encodeOptions(message(ch), { attempt: 1 });
    return { content: Buffer.from('x'), fields: { deliveryTag: tag, redelivered: false, exchange: '', routingKey: '', consumerTag: 't' }, properties: { ...o, headers: o.headers ?? {} } } as unknown as ConsumeMessage;
  };
  const first = fakeModel();
  const host = { id: 0, model: first.model as ChannelModel | undefined };
  const consumers = new Consumers({
    logger: createLogger({ name: 'consumers-test', level: 'silent' }), publisher: {} as Publisher, clock: Date.now,
    record: () => {}, tiers: () => [1000], hosts: { acquire: async () => host, release: () => {} },
  });
  const got: Delivery[] = [];
  await consumers.add(queue, 1, (d) => got.push(d));
  first.deliver(msg(1));
  assert.equal(got.length, 1);

  // A reconnect whose setup re-attached the consumer on a connection that then died: no detachAll().
  const dying = fakeModel();
  await consumers.reattach(host, dying.model);
  dying.deliver(msg(1));
  const next = fakeModel();
  await consumers.reattach(host, next.model);
  next.deliver(msg(1));
  assert.equal(got.length, 3, 'the live channel\'s delivery is handed out, not held behind dead ones');
  assert.equal(consumers.inflight(queue).count, 1, 'only the live channel\'s delivery counts as in flight');
  await assert.rejects(got[1].ack(), /connection was lost/);
});

test('a consumer that fails to start leaves nothing behind: its channel is not opened again later', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let opened = 0;
  let released = 0;
  const model = {
    createChannel: async () => {
      opened++;
      const handlers = new Map<string, () => void>();
      const channel = {
        on: (ev: string, fn: () => void) => { handlers.set(ev, fn); return channel; },
        prefetch: async () => {},
        // The broker closes the channel (404: no such queue), then the consume call fails.
        consume: async () => { handlers.get('close')?.(); throw Object.assign(new Error('NOT_FOUND - no queue'), { code: 404 }); },
        close: async () => {},
      };
      return channel;
    },
  } as unknown as ChannelModel;
  const host = { id: 0, model: model as ChannelModel | undefined };
  const consumers = new Consumers({
    logger: createLogger({ name: 'consumers-test', level: 'silent' }), publisher: {} as Publisher, clock: Date.now,
    record: () => {}, tiers: () => [1000], hosts: { acquire: async () => host, release: () => { released++; } },
  });
  const ch = channelConfig();
  await assert.rejects(consumers.add({ channel: ch, subscription: { namespace: 'ns-a', name: 's1' } }, 1, () => {}), /NOT_FOUND/);
  assert.equal(released, 1, 'its channel slot is given back');
  t.mock.timers.tick(5_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(opened, 1, 'no retry opens a consumer nobody registered');
});
