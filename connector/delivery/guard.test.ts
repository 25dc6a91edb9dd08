import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { track } from '../testing/cleanup.ts';
import { HttpSender } from './attempt.ts';
import { checkDestination, connectLookup, DestinationGuard, REFUSED_CODE, type Lookup } from './guard.ts';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'evil.example.com': ['93.184.216.34', '169.254.169.254'],
  'rebind.example.com': ['::ffff:169.254.10.1'],
  'v6ll.example.com': ['fe80::1'],
  'aws6.example.com': ['fd00:ec2::254'],
  'localhost': ['127.0.0.1', '::1'],
  'sink.team-a.svc': ['10.96.0.12'],
  'sink.team-a.svc.cluster.local': ['10.96.0.12'],
  'a.b.team-a.svc': ['10.96.0.13'],
  'internal.corp': ['10.1.2.3'],
};
const lookup: Lookup = async (h) => { const a = dns[h]; if (!a) throw new Error('ENOTFOUND'); return a; };
const check = (url: string, extra: Partial<Parameters<typeof checkDestination>[1]> = {}) =>
  checkDestination(url, { namespace: 'team-a', lookup, ...extra });

test('refuses link-local and cloud metadata, by name and by resolved address', async () => {
  for (const url of [
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://[fd00:ec2::254]/',
    'http://169.254.1.1:8080/',
    'http://[fe80::1]/',
    'http://evil.example.com/',
    'http://rebind.example.com/',
    'http://v6ll.example.com/',
    'http://aws6.example.com/',
  ]) {
    const v = await check(url);
    assert.equal(v.ok, false, url);
    assert.match(v.ok ? '' : v.reason, /metadata|link-local/, url);
  }
});

test('allows ordinary hosts and loopback by default; loopback can be forbidden', async () => {
  assert.deepEqual(await check('https://hooks.example.com/in'), { ok: true });
  assert.deepEqual(await check('http://127.0.0.1:9000/hooks'), { ok: true });
  assert.deepEqual(await check('http://localhost:9000/hooks'), { ok: true });
  const v = await check('http://localhost:9000/hooks', { allowLoopback: false });
  assert.equal(v.ok, false);
});

test('with an allowlist: own namespace Services, listed hosts and CIDRs only', async () => {
  const allowed = ['hooks.example.com', '10.0.0.0/8'];
  assert.equal((await check('http://sink.team-a.svc:8080/', { allowed })).ok, true);
  assert.equal((await check('https://hooks.example.com/', { allowed })).ok, true);
  assert.equal((await check('http://internal.corp/', { allowed })).ok, true);
  assert.equal((await check('http://localhost:9000/', { allowed })).ok, false);
  assert.equal((await check('http://sink.team-b.svc:8080/', { allowed: ['10.0.0.0/8'] })).ok, false, 'unresolvable other-namespace service');
  assert.equal((await check('https://hooks.example.com/', { allowed: ['*.example.com'] })).ok, true, 'a wildcard covers subdomains');
  assert.equal((await check('https://example.com.evil.test/', { allowed: ['*.example.com'] })).ok, false);
  assert.equal((await check('http://[fd00::7]/', { allowed: ['fc00::/7'] })).ok, true, 'IPv6 CIDR');
  assert.equal((await check('http://10.9.9.9/', { allowed: ['10.9.9.9'] })).ok, true, 'a single address');
  assert.equal((await check('http://10.9.9.8/', { allowed: ['10.9.9.9'] })).ok, false);
  assert.equal((await check('http://sink.team-a.svc.cluster.local:8080/', { allowed: [] })).ok, true, 'own namespace Service with an empty allowlist');
  assert.equal((await check('http://a.b.team-a.svc/', { allowed: [] })).ok, false, 'only <service>.<namespace>.svc');
  assert.equal((await check('http://10.9.9.9/', { allowed: ['10.0.0.0/99', 'not a cidr/8'] })).ok, false, 'malformed entries allow nothing and do not throw');
});

test('bad URLs and unresolvable hosts are refused with a reason', async () => {
  assert.match((await check('ftp://hooks.example.com/') as { reason: string }).reason, /scheme/);
  assert.match((await check('not a url') as { reason: string }).reason, /invalid/);
  assert.match((await check('http://nowhere.invalid/') as { reason: string }).reason, /does not resolve/);
});

/** What a connect-time lookup hands the socket: [error code, addresses]. */
function lookupVia(l: ReturnType<typeof connectLookup>, host: string, all: boolean): Promise<[string | undefined, string[]]> {
  return new Promise((resolve) => l(host, { all }, (err, address) =>
    resolve([err ? (err.code ?? 'error') : undefined, err ? [] : Array.isArray(address) ? address.map((a: LookupAddress) => a.address) : [address]])));
}

test('connect-time lookup: every resolved address is checked before the socket may use any', async () => {
  const l = connectLookup({ namespace: 'team-a', lookup });
  assert.deepEqual(await lookupVia(l, 'hooks.example.com', true), [undefined, ['93.184.216.34']]);
  assert.deepEqual(await lookupVia(l, 'hooks.example.com', false), [undefined, ['93.184.216.34']]);
  for (const host of ['evil.example.com', 'rebind.example.com', 'v6ll.example.com', 'aws6.example.com']) {
    assert.deepEqual(await lookupVia(l, host, true), [REFUSED_CODE, []], host);
    assert.deepEqual(await lookupVia(l, host, false), [REFUSED_CODE, []], host);
  }
  assert.deepEqual(await lookupVia(l, 'nowhere.invalid', true), ['error', []], 'a failed resolution fails the connect');
});

test('DNS rebinding: the destination passes the pre-attempt check, then resolves link-local at connect → no request is sent', async () => {
  let requests = 0;
  const server = createServer((_req, res) => { requests++; res.end('ok'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  track({ close: () => { server.closeAllConnections(); return new Promise((r) => server.close(r)); } });
  const port = (server.address() as AddressInfo).port;
  let rebindCalls = 0;
  const rebinding: Lookup = async (h) => {
    if (h === 'dest.test') return ['127.0.0.1'];
    if (h === 'rebind.test') return ++rebindCalls === 1 ? ['127.0.0.1'] : ['169.254.7.7'];
    throw new Error('ENOTFOUND');
  };
  const guard = new DestinationGuard({ namespace: 'team-a', lookup: rebinding });
  const sender = track(new HttpSender({ connections: 1, lookup: guard.connectLookup() }));

  // Sockets resolve through the guard: dest.test exists only in the custom lookup, and is reached.
  assert.deepEqual(await guard.check(`http://dest.test:${port}/`), { ok: true });
  const ok = await sender.send({ url: `http://dest.test:${port}/`, headers: {}, body: Buffer.from('x'), timeoutMs: 2000 });
  assert.equal(ok.status, 200);
  assert.equal(requests, 1);

  assert.deepEqual(await guard.check(`http://rebind.test:${port}/`), { ok: true }, 'first answer: loopback, allowed');
  const refused = await sender.send({ url: `http://rebind.test:${port}/`, headers: {}, body: Buffer.from('x'), timeoutMs: 2000 });
  assert.equal(refused.status, undefined);
  assert.match(refused.error ?? '', new RegExp(`${REFUSED_CODE}.*link-local address 169\\.254\\.7\\.7`));
  assert.equal(requests, 1, 'nothing reached any server');
});
