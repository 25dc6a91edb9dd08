import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { readinessAnswer, startProbeServer } from './probes.ts';

test('readiness: no reasons is 200 ready, any reason is 503 with the reasons', () => {
  assert.deepEqual(readinessAnswer([]), { status: 200, body: { status: 'ready' } });
  assert.deepEqual(readinessAnswer(['watch secrets']), { status: 503, body: { status: 'not_ready', reasons: ['watch secrets'] } });
});

test('the server answers /healthz, /readyz from the readiness function, /metrics from the registry, 404 otherwise', async (t) => {
  const registry = new Registry();
  new Counter({ name: 'hookbridge_probe_test_total', help: 'a test counter', registers: [registry] }).inc();
  let reasons: string[] = ['configuration not loaded'];
  const probes = await startProbeServer({ port: 0, host: '127.0.0.1', registry, readiness: () => reasons });
  t.after(() => probes.close());
  const base = `http://127.0.0.1:${probes.port}`;

  const healthz = await fetch(`${base}/healthz`);
  assert.deepEqual([healthz.status, await healthz.json()], [200, { status: 'ok' }]);
  const notReady = await fetch(`${base}/readyz`);
  assert.deepEqual([notReady.status, await notReady.json()], [503, { status: 'not_ready', reasons: ['configuration not loaded'] }]);
  reasons = [];
  const ready = await fetch(`${base}/readyz?verbose`);
  assert.deepEqual([ready.status, await ready.json()], [200, { status: 'ready' }], 'asked again on every request; the query is ignored');
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^hookbridge_probe_test_total 1$/m);
  assert.equal((await fetch(`${base}/other`)).status, 404);
});

test('a port in use is an error, not a hang', async (t) => {
  const registry = new Registry();
  const first = await startProbeServer({ port: 0, host: '127.0.0.1', registry, readiness: () => [] });
  t.after(() => first.close());
  await assert.rejects(startProbeServer({ port: first.port, host: '127.0.0.1', registry, readiness: () => [] }), /EADDRINUSE/);
});
