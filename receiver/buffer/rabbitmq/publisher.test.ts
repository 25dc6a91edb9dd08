import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ChannelModel } from 'amqplib';
import { PublishError, Publisher } from './publisher.ts';
import { createLogger } from '../../../shared/logger.ts';

/** A confirm channel that holds each publish's callback until the test confirms, nacks or closes it. */
class FakeChannel extends EventEmitter {
  readonly pending: ((err: unknown) => void)[] = [];
  published = 0;
  closed = false;
  /** publish() reports a full buffer (amqplib's backpressure) while this is set. */
  full = false;
  publish(_ex: string, _rk: string, _body: Buffer, _opts: unknown, cb: (err: unknown) => void): boolean {
    if (this.closed) throw new Error('Channel closed');
    this.published++;
    this.pending.push(cb);
    return !this.full;
  }
  async close(): Promise<void> {
    this.closed = true;
    for (const cb of this.pending.splice(0)) cb(new Error('channel closed'));
    this.emit('close');
  }
}

function fakeModel(): { model: ChannelModel; channels: FakeChannel[] } {
  const channels: FakeChannel[] = [];
  const model = { createConfirmChannel: async () => { const ch = new FakeChannel(); channels.push(ch); return ch; } } as unknown as ChannelModel;
  return { model, channels };
}

const logger = createLogger({ name: 'test', level: 'silent' });

test('renew: later publishes go out on a new channel; one unconfirmed on the old one fails as unavailable, not as a nack', async () => {
  const { model, channels } = fakeModel();
  const p = new Publisher({ logger });
  await p.attach(model);
  const before = p.publish('x', 'k', Buffer.from('a'), {}).catch((err: unknown) => err);
  await p.renew(model);
  assert.equal(channels.length, 2);
  assert.equal(channels[0].closed, true, 'the old channel is closed');
  const err = await before;
  assert.ok(err instanceof PublishError);
  assert.equal(err.kind, 'unavailable');
  assert.equal(p.ready, true, 'closing the old channel does not leave the publisher without one');
  const after = p.publish('x', 'k', Buffer.from('b'), {});
  assert.equal(channels[1].published, 1);
  channels[1].pending[0](null);
  await after;
});

test('renew without a channel does nothing (the connection is down; its setup attaches one)', async () => {
  const { model, channels } = fakeModel();
  const p = new Publisher({ logger });
  await p.renew(model);
  assert.equal(channels.length, 0);
  assert.equal(p.ready, false);
});

test('renew while the old channel\'s buffer is full: publishes waiting for its drain go out on the new channel', async () => {
  const { model, channels } = fakeModel();
  const p = new Publisher({ logger });
  await p.attach(model);
  channels[0].full = true;
  const first = p.publish('x', 'k', Buffer.from('a'), {}).catch((err: unknown) => err);
  const waiting = p.publish('x', 'k', Buffer.from('b'), {});
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(channels[0].published, 1, 'the second waits for the drain');
  await p.renew(model);
  assert.ok((await first) instanceof PublishError);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(channels[1].published, 1, 'the waiting publish went out on the new channel');
  channels[1].pending[0](null);
  await waiting;
  channels[0].emit('drain'); // late, from the closed channel: changes nothing
});
