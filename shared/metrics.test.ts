import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeClass, createRegistry } from './metrics.ts';

test('process and runtime metrics are hookbridge_process_* and hookbridge_nodejs_*, never doubled', async () => {
  const names = (await createRegistry().getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.includes('hookbridge_process_cpu_seconds_total'), names.join(' '));
  assert.ok(names.includes('hookbridge_process_resident_memory_bytes') || process.platform !== 'linux');
  assert.ok(names.some((n) => n.startsWith('hookbridge_nodejs_')));
  assert.deepEqual(names.filter((n) => n.includes('process_process')), []);
  assert.ok(names.every((n) => n.startsWith('hookbridge_')));
});

test('without defaults the registry starts empty', async () => {
  assert.deepEqual(await createRegistry({ defaults: false }).getMetricsAsJSON(), []);
});

test('code classes', () => {
  assert.deepEqual([200, 302, 404, 503, undefined, 0].map(codeClass), ['2xx', '3xx', '4xx', '5xx', 'none', 'none']);
});
