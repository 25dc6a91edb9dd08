// The Kubernetes config source over a stand-in apiserver (test/integration/receiver-kube.test.ts runs it
// against the real one): what it applies, and how it reports a watch that is down.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { ChannelConfig, ReceiverConfig } from '../../shared/config.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { RECEIVER_CONFIG_KEY, RECEIVER_CONFIG_LABEL, RECEIVER_CONFIG_LABEL_VALUE } from '../../shared/labels.ts';
import { createLogger } from '../../shared/logger.ts';
import { eventually } from '../../test/e2e/lib/wait.ts';
import { FakeApiserver } from '../../test/harness/fake-apiserver.ts';
import { channel, route } from '../test-support.ts';
import { KubeConfigSource } from './kube.ts';

const NS = 'hookbridge-system';
const until = (what: string, ok: () => boolean): Promise<unknown> => eventually(what, ok, { timeoutMs: 10_000, intervalMs: 10 });

const secret = (name: string, cfg: ChannelConfig | string, labelled = true): KubeObject => ({
  metadata: { name, namespace: NS, labels: labelled ? { [RECEIVER_CONFIG_LABEL]: RECEIVER_CONFIG_LABEL_VALUE } : { unrelated: 'yes' } },
  data: { [RECEIVER_CONFIG_KEY]: Buffer.from(typeof cfg === 'string' ? cfg : JSON.stringify(cfg)).toString('base64') },
});

let api: FakeApiserver;
let source: KubeConfigSource;
const applied: ReceiverConfig[] = [];
const logs: string[] = [];
const names = (): string[] => (applied.at(-1)?.channels ?? []).map((c) => c.name);

before(async () => {
  api = await FakeApiserver.start();
  api.put(secret('hookbridge-channel.shop.orders', channel('orders', [route('sink', { tokens: ['hbt_x'] })])));
  api.put(secret('unlabelled', channel('ghost', []), false));
  api.put(secret('broken', '{"namespace": "shop", "name": 3}'));
  source = new KubeConfigSource({
    namespace: NS, kubeconfig: api.kubeconfigFile(), debounceMs: 5, backoffMinMs: 20, backoffMaxMs: 50,
    apply: async (cfg) => { applied.push(cfg); },
    logger: createLogger({ name: 'kube-source', level: 'info', destination: new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }) }),
  });
  assert.deepEqual(source.readiness(), ['kubernetes config not listed yet']);
  await source.start();
});

after(async () => {
  await source?.stop();
  await api?.close();
});

test('start applies the labelled, readable Secrets once listed; unreadable ones are reported', () => {
  assert.deepEqual(source.readiness(), []);
  assert.equal(applied.length, 1);
  assert.deepEqual(names(), ['orders']);
  assert.ok(logs.some((l) => l.includes('skipping an unreadable receiver config Secret') && l.includes('broken')));
  assert.equal(source.following(), true);
  assert.deepEqual(source.describe(), { source: 'kubernetes', namespace: NS, watch: 'up' });
});

test('a change re-applies the whole set after the debounce; a deletion too', async () => {
  api.put(secret('hookbridge-channel.shop.invoices', channel('invoices', [])));
  await until('invoices applied', () => names().includes('invoices'));
  assert.deepEqual(names(), ['invoices', 'orders']);
  api.remove(NS, 'hookbridge-channel.shop.invoices');
  await until('invoices removed', () => !names().includes('invoices'));
});

test('an apiserver outage: still ready, the watch reported down since it went; changes flow again when it is back', async () => {
  const before = Date.now();
  api.down();
  await until('reported down', () => !source.following());
  const d = source.describe();
  assert.equal(d.watch, 'down');
  assert.ok(Date.parse(d.downSince as string) >= before - 1000);
  assert.deepEqual(source.readiness(), [], 'ready with the configuration it has');
  const restarts = () => logs.filter((l) => l.includes('restarting')).length;
  const failed = restarts();
  await until('several restarts', () => restarts() >= failed + 3);
  api.up();
  api.put(secret('hookbridge-channel.shop.refunds', channel('refunds', [])));
  await until('following again', () => source.following());
  await until('refunds applied', () => names().includes('refunds'));
  assert.equal(source.describe().downSince, undefined);
});
