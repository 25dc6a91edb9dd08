import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDestination, type Lookup } from './guard.ts';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'evil.example.com': ['93.184.216.34', '169.254.169.254'],
  'rebind.example.com': ['::ffff:169.254.10.1'],
  'v6ll.example.com': ['fe80::1'],
  'aws6.example.com': ['fd00:ec2::254'],
  'localhost': ['127.0.0.1', '::1'],
  'sink.team-a.svc': ['10.96.0.12'],
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
});

test('bad URLs and unresolvable hosts are refused with a reason', async () => {
  assert.match((await check('ftp://hooks.example.com/') as { reason: string }).reason, /scheme/);
  assert.match((await check('not a url') as { reason: string }).reason, /invalid/);
  assert.match((await check('http://nowhere.invalid/') as { reason: string }).reason, /does not resolve/);
});
