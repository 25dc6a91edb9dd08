// The receiver exposes exactly the receiver rows of docs/metrics.md (the contract alerts and dashboards use),
// with their types and label names, once traffic has touched each of them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { channel, post, route, startTest, StreamClient } from './test-support.ts';
import { eventually } from '../test/harness/eventually.ts';

const TOKEN = 'hbt_metrics-test-token-jjjjjjjjjjjjjjjjjjjjjjjjjjjjj';

function receiverRows(): { name: string; type: string; labels: string[] }[] {
  const doc = fs.readFileSync(path.join(import.meta.dirname, '..', 'docs', 'metrics.md'), 'utf8');
  const section = doc.split('## Receiver')[1].split('\n## ')[0];
  return [...section.matchAll(/^\| `(hookbridge_[a-z_]+)` \| (\w+) \|([^|]*)\|/gm)].map((m) => ({
    name: m[1], type: m[2], labels: m[3].split(',').map((l) => l.trim()).filter(Boolean),
  }));
}

test('every receiver metric of docs/metrics.md is exposed with its type and labels', async () => {
  const t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })], { ackTimeoutSeconds: 0.05, deliveryLimit: 1 })] });
  try {
    await post(t.base, '/webhook/shop/orders', 'x');
    const c = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN);
    await c.until((x) => x.messages().length === 2); // an ack timeout → redelivery; a second → dead letter
    const queue = { channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: 'sink' } };
    await eventually(async () => (await t.buffer.stats(queue)).deadLettered === 1);
    await post(t.base, '/webhook/shop/orders', 'y');
    await c.until((x) => x.messages().length === 3);
    c.send({ type: 'ack', id: c.messages()[2].id });
    await new StreamClient(`${t.ws}/connect/stream/shop/orders`, 'hbt_wrong').closed;
    c.close();
    await c.closed;
    const text = await (await fetch(`${t.base}/metrics`)).text();
    const rows = receiverRows();
    assert.ok(rows.length >= 15, 'the docs table was parsed');
    for (const row of rows) {
      assert.match(text, new RegExp(`^# TYPE ${row.name} ${row.type}$`, 'm'), `${row.name} is a ${row.type}`);
      const sample = new RegExp(`^${row.name}(?:_bucket|_count|_sum)?(\\{[^}]*\\})? `, 'm').exec(text);
      assert.ok(sample, `${row.name} has a sample`);
      const labels = [...(sample[1] ?? '').matchAll(/([a-z_]+)="/g)].map((m) => m[1]).filter((l) => l !== 'le');
      assert.deepEqual(labels.sort(), [...row.labels].sort(), `${row.name} labels`);
    }
    const ours = new Set([...text.matchAll(/^# TYPE (hookbridge_\w+)/gm)].map((m) => m[1]));
    assert.deepEqual([...ours].filter((n) => !rows.some((r) => r.name === n)), [], 'no metric outside the contract');
  } finally { await t.close(); }
});
