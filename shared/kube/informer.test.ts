import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { eventually } from '../../test/e2e/lib/wait.ts';
import { FakeApiserver } from '../../test/harness/fake-apiserver.ts';
import { createLogger } from '../logger.ts';
import { KubeClient, type KubeObject } from './client.ts';
import { Informer } from './informer.ts';
import { ConfigMaps } from './resource-types.ts';

const cm = (name: string, labels: Record<string, string> = { app: 'x' }): KubeObject => ({ metadata: { name, namespace: 'ns', labels } });

/** Waits for a state (never for a time). */
const until = (what: string, ok: () => boolean): Promise<unknown> => eventually(what, ok, { timeoutMs: 10_000, intervalMs: 10 });

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
    await until('b seen', () => inf.get('ns', 'b') !== undefined);
    api.remove('ns', 'a');
    await until('a gone', () => inf.get('ns', 'a') === undefined);
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
    await until('reported down', () => !inf.healthy());
    const since = inf.downSince();
    assert.ok(since !== undefined && since >= before);
    const restarts = () => logs.filter((l) => l.includes('watch failed; restarting')).length;
    const first = restarts();
    await until('restarted several times', () => restarts() >= first + 3);
    const delays = logs.filter((l) => l.includes('restarting')).slice(-3).map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    assert.ok(delays.every((d) => d <= 80), `capped: ${delays.join(', ')}`);
    assert.equal(inf.synced(), true, 'once listed, a later outage does not unlist');
    api.up();
    api.put(cm('during'));
    await until('healthy again', () => inf.healthy());
    await until('the change made meanwhile', () => inf.get('ns', 'during') !== undefined);
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
    await until('retried', () => api.lists >= lists + 2);
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
    await until('listed', () => inf.get('ns', 'vanishes') !== undefined);
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
