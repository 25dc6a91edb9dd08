import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { eventually } from '../../test/harness/eventually.ts';
import { FakeApiserver } from '../../test/harness/fake-apiserver.ts';
import { createLogger } from '../logger.ts';
import { KubeClient, type KubeObject } from './client.ts';
import { Informer } from './informer.ts';
import { ConfigMaps } from './resource-types.ts';

const cm = (name: string, labels: Record<string, string> = { app: 'x' }): KubeObject => ({ metadata: { name, namespace: 'ns', labels } });

/** Waits for a state (never for a time). */

let api: FakeApiserver;
let client: KubeClient;
const logs: string[] = [];
const logger = createLogger({ name: 'informer', level: 'info', destination: new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }) });

before(async () => {
  api = await FakeApiserver.start();
  client = new KubeClient(api.kubeConfig());
});
after(async () => {
  client.close();
  await api.close();
});

test('lists before it resolves, serves reads from the cache, and hands every change to the handlers', async () => {
  api.put(cm('a'));
  api.put(cm('other', { app: 'y' }));
  const inf = new Informer<KubeObject>(client, ConfigMaps, { namespaces: ['ns'], labelSelector: 'app=x', logger });
  const seen: string[] = [];
  inf.onChange((o) => seen.push(o.metadata.name));
  await inf.start();
  try {
    assert.ok(inf.synced() && inf.healthy());
    assert.deepEqual(inf.list().map((o) => o.metadata.name), ['a'], 'the selector applies');
    api.put(cm('b'));
    await eventually(() => inf.get('ns', 'b') !== undefined, { message: 'b seen', timeoutMs: 10_000, intervalMs: 10 });
    api.remove('ns', 'a');
    await eventually(() => inf.get('ns', 'a') === undefined, { message: 'a gone', timeoutMs: 10_000, intervalMs: 10 });
    assert.deepEqual(seen, ['a', 'b', 'a']);
  } finally {
    await inf.stop();
  }
});

test('a watch that fails is restarted with backoff, reported down meanwhile, and catches up when back', async () => {
  const inf = new Informer<KubeObject>(client, ConfigMaps, { namespaces: ['ns'], logger, minBackoffMs: 20, maxBackoffMs: 80 });
  await inf.start();
  try {
    assert.equal(inf.downSince(), undefined);
    const before = Date.now();
    api.down();
    await eventually(() => !inf.healthy(), { message: 'reported down', timeoutMs: 10_000, intervalMs: 10 });
    const since = inf.downSince();
    assert.ok(since !== undefined && since >= before);
    const restarts = () => logs.filter((l) => l.includes('watch failed; restarting')).length;
    const first = restarts();
    await eventually(() => restarts() >= first + 3, { message: 'restarted several times', timeoutMs: 10_000, intervalMs: 10 });
    const delays = logs.filter((l) => l.includes('restarting')).slice(-3).map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    assert.ok(delays.every((d) => d <= 80), `capped: ${delays.join(', ')}`);
    assert.equal(inf.synced(), true, 'once listed, a later outage does not unlist');
    api.up();
    api.put(cm('during'));
    await eventually(() => inf.healthy(), { message: 'healthy again', timeoutMs: 10_000, intervalMs: 10 });
    await eventually(() => inf.get('ns', 'during') !== undefined, { message: 'the change made meanwhile', timeoutMs: 10_000, intervalMs: 10 });
    assert.equal(inf.downSince(), undefined);
    assert.ok(logs.some((l) => l.includes('watch is back')));
  } finally {
    await inf.stop();
  }
});

test('start waits through a first list that fails; stop() during that wait ends it', async () => {
  api.down();
  const inf = new Informer<KubeObject>(client, ConfigMaps, { namespaces: ['ns'], logger, minBackoffMs: 20, maxBackoffMs: 40 });
  let started = false;
  const starting = inf.start().then(() => { started = true; });
  try {
    const lists = api.lists;
    await eventually(() => api.lists >= lists + 2, { message: 'retried', timeoutMs: 10_000, intervalMs: 10 });
    assert.equal(started, false);
    assert.equal(inf.synced(), false);
    api.up();
    await starting;
    assert.ok(inf.synced());
  } finally {
    api.up();
    await inf.stop();
  }
  api.down();
  const stopped = new Informer<KubeObject>(client, ConfigMaps, { namespaces: ['ns'], logger, minBackoffMs: 20 });
  const pending = stopped.start();
  await stopped.stop();
  await pending;
  api.up();
});

test('relist() takes a fresh list and reports what vanished without an event', async () => {
  api.put(cm('stays'));
  const inf = new Informer<KubeObject>(client, ConfigMaps, { namespaces: ['ns'], logger });
  await inf.start();
  try {
    const seen: string[] = [];
    inf.onChange((o) => seen.push(o.metadata.name));
    api.put(cm('vanishes'));
    await eventually(() => inf.get('ns', 'vanishes') !== undefined, { message: 'listed', timeoutMs: 10_000, intervalMs: 10 });
    seen.length = 0;
    api.vanish('ns', 'vanishes');
    await inf.relist();
    assert.equal(inf.get('ns', 'vanishes'), undefined);
    assert.ok(inf.get('ns', 'stays'));
    assert.deepEqual(seen.filter((n) => n === 'vanishes'), ['vanishes'], 'reported once, as deleted');
  } finally {
    await inf.stop();
  }
});
