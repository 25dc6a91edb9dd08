import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, KubeClient, MAX_RETRY_AFTER_MS, resourcePath, retryAfterMs, THROTTLE_RETRIES } from './client.ts';
import { ConfigMaps, Namespaces, Subscriptions } from './resource-types.ts';

test('resource paths: core and named groups, namespaced or not, subresources only of a named object', () => {
  assert.equal(resourcePath(ConfigMaps, 'ns', 'a b'), '/api/v1/namespaces/ns/configmaps/a%20b');
  assert.equal(resourcePath(Subscriptions, 'ns', 's', 'status'), '/apis/hookbridge.io/v1alpha1/namespaces/ns/subscriptions/s/status');
  assert.equal(resourcePath(Subscriptions, undefined), '/apis/hookbridge.io/v1alpha1/subscriptions');
  assert.equal(resourcePath(Namespaces, 'ignored', 'team-a'), '/api/v1/namespaces/team-a');
  assert.equal(resourcePath(ConfigMaps, 'ns', undefined, 'status'), '/api/v1/namespaces/ns/configmaps');
});

test('Retry-After: delay-seconds or an HTTP date, capped, never negative; unreadable is no answer', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  assert.equal(retryAfterMs('2', now), 2000);
  assert.equal(retryAfterMs(['0'], now), 0);
  assert.equal(retryAfterMs('Tue, 01 Jan 2030 00:00:03 GMT', now), 3000);
  assert.equal(retryAfterMs('Mon, 31 Dec 2029 23:59:00 GMT', now), 0);
  assert.equal(retryAfterMs('3600', now), MAX_RETRY_AFTER_MS);
  assert.equal(retryAfterMs(undefined, now), undefined);
  assert.equal(retryAfterMs('soon', now), undefined);
});

/** A client of a local plain-HTTP "apiserver" that answers with `answer(n)` for its n-th request. */
async function withApiserver(answer: (n: number) => { status: number; headers?: Record<string, string> }, run: (client: KubeClient, count: () => number) => Promise<void>): Promise<void> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    const a = answer(n++);
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(JSON.stringify(a.status === 200 ? { metadata: { name: 'x' } } : { reason: 'TooManyRequests', message: 'slow down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
  });
  const client = new KubeClient(kc);
  try { await run(client, () => n); } finally { client.close(); server.close(); }
}

test('a throttled request (429 with Retry-After) is sent again after the wait', async () => {
  await withApiserver((n) => (n < 2 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }), async (client, count) => {
    const got = await client.get(ConfigMaps, 'ns', 'x');
    assert.equal(got.metadata.name, 'x');
    assert.equal(count(), 3);
  });
});

test('a 429 without Retry-After, or one that outlasts the retries, reaches the caller', async () => {
  await withApiserver(() => ({ status: 429 }), async (client, count) => {
    await assert.rejects(client.get(ConfigMaps, 'ns', 'x'), (e: unknown) => e instanceof ApiError && e.status === 429 && e.retryAfterMs === undefined);
    assert.equal(count(), 1);
  });
  await withApiserver(() => ({ status: 429, headers: { 'retry-after': '0' } }), async (client, count) => {
    await assert.rejects(client.get(ConfigMaps, 'ns', 'x'), (e: unknown) => e instanceof ApiError && e.retryAfterMs === 0);
    assert.equal(count(), THROTTLE_RETRIES + 1);
  });
});

test('a throttled wait ends with the caller\'s signal', async () => {
  await withApiserver(() => ({ status: 429, headers: { 'retry-after': '5' } }), async (client, count) => {
    const started = Date.now();
    await assert.rejects(client.get(ConfigMaps, 'ns', 'x', { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
    assert.ok(Date.now() - started < 2000, 'not the 5 s asked for');
    assert.equal(count(), 1);
  });
});
