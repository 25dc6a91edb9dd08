// The consumer connection pool on fake connections: placement, caps, closing, failures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelModel } from 'amqplib';
import { createLogger } from '../../../shared/logger.ts';
import { ConsumerConnections, type ConsumerHost, type PoolConnection } from './consumer-connections.ts';

interface Fake extends PoolConnection { id: number; closed: boolean; up: boolean; down(): void }

function pool(o: { perConnection?: number; channelMax?: number; failFirst?: boolean } = {}) {
  const conns: Fake[] = [];
  const downs: number[] = [];
  const p = new ConsumerConnections({
    perConnection: o.perConnection, connectTimeoutMs: 1_000, logger: createLogger({ name: 'pool-test', level: 'silent' }),
    onSetup: async () => {}, onDown: (h) => { downs.push(h.id); },
    connect: (id) => {
      const onDown: (() => void)[] = [];
      const fake: Fake = {
        id, closed: false, up: false,
        get model() { return fake.up ? ({ connection: { channelMax: o.channelMax } } as unknown as ChannelModel) : undefined; },
        isUp: () => fake.up,
        onSetup: () => {},
        onDown: (fn) => { onDown.push(fn); },
        start: async () => {
          if (o.failFirst && id === 0) throw new Error('RabbitMQ not reachable within 1000 ms');
          fake.up = true;
        },
        close: async () => { fake.closed = true; fake.up = false; },
        down: () => { fake.up = false; for (const fn of onDown) fn(); },
      };
      conns.push(fake);
      return fake;
    },
  });
  return { p, conns, downs };
}

test('consumers fill the lowest connection with room; a new one opens only when all are full', async () => {
  const { p, conns } = pool({ perConnection: 2 });
  const hosts = await Promise.all(Array.from({ length: 5 }, () => p.acquire()));
  assert.deepEqual(hosts.map((h) => h.id), [0, 0, 1, 1, 2]);
  assert.equal(conns.length, 3, 'concurrent acquires share the connection being opened');
  p.release(hosts[0]);
  assert.equal((await p.acquire()).id, 0, 'a freed channel on the lowest connection is used first');
});

test('the broker\'s channel_max caps a connection below the configured number', async () => {
  const { p } = pool({ perConnection: 500, channelMax: 2 });
  const hosts = await Promise.all(Array.from({ length: 5 }, () => p.acquire()));
  assert.deepEqual(hosts.map((h) => h.id).sort(), [0, 0, 1, 1, 2]);
});

test('a connection left empty closes unless it is the last; one reconnecting is skipped and makes allUp false', async () => {
  const { p, conns, downs } = pool({ perConnection: 1 });
  const [a, b] = [await p.acquire(), await p.acquire()];
  p.release(b);
  assert.equal(conns[1].closed, true);
  assert.equal(p.size, 1);
  p.release(a);
  assert.equal(conns[0].closed, false, 'the last one stays');
  const c: ConsumerHost = await p.acquire();
  assert.equal(c.id, 0);
  conns[0].down();
  assert.deepEqual(downs, [0]);
  assert.equal(p.allUp(), false);
  const d = await p.acquire();
  assert.notEqual(d.id, 0, 'a reconnecting connection takes no new consumer');
  await p.close();
  assert.ok(conns.every((x) => x.closed));
});

test('a connection that does not come up fails the acquire and is dropped', async () => {
  const { p, conns } = pool({ failFirst: true });
  await assert.rejects(p.acquire(), /not reachable/);
  assert.equal(conns[0].closed, true);
  assert.equal(p.size, 0);
  assert.equal((await p.acquire()).id, 1);
});
