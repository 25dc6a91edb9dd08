import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressRefusal, destinationUrlProblem, embeddedV4, nameRefusal, v6Bytes } from './destinations.ts';

test('v6Bytes: compressed, full and dotted-tail spellings', () => {
  assert.deepEqual(v6Bytes('::'), Array(16).fill(0));
  assert.deepEqual(v6Bytes('::1'), [...Array(15).fill(0), 1]);
  assert.deepEqual(v6Bytes('::ffff:169.254.169.254'), [...Array(10).fill(0), 0xff, 0xff, 169, 254, 169, 254]);
  assert.deepEqual(v6Bytes('0:0:0:0:0:ffff:a9fe:a9fe'), v6Bytes('::ffff:169.254.169.254'));
  assert.deepEqual(v6Bytes('2002:a9fe:a9fe::'), [0x20, 0x02, 169, 254, 169, 254, ...Array(10).fill(0)]);
  assert.equal(v6Bytes('1.2.3.4'), undefined);
  assert.equal(v6Bytes('not-an-address'), undefined);
});

test('embeddedV4: every embedding of 169.254.169.254, and none in an ordinary address', () => {
  for (const a of ['::ffff:a9fe:a9fe', '::a9fe:a9fe', '::ffff:0:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '64:ff9b:1::a9fe:a9fe', '2002:a9fe:a9fe::', '2001:0:4136:e378:8000:63bf:5601:5601']) {
    assert.deepEqual(embeddedV4(v6Bytes(a) as number[]), [169, 254, 169, 254], a);
  }
  assert.equal(embeddedV4(v6Bytes('2606:4700::1111') as number[]), undefined);
  assert.equal(embeddedV4(v6Bytes('::1') as number[]), undefined);
});

test('addressRefusal: link-local, metadata, unspecified always; loopback when asked; private ranges never', () => {
  const table: [string, ReturnType<typeof addressRefusal>, boolean?][] = [
    ['169.254.169.254', 'metadata'], ['169.254.1.1', 'link-local'], ['168.63.129.16', 'metadata'], ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'], ['[::]', 'unspecified'], ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['fe80::1', 'link-local'], ['febf::1', 'link-local'], ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'], ['::a9fe:a9fe', 'metadata'], ['64:ff9b::a9fe:a9fe', 'metadata'], ['2002:a9fe:a9fe::', 'metadata'],
    ['::ffff:0.0.0.0', 'unspecified'], ['2002:a9fe:0101::', 'link-local'],
    ['127.0.0.1', undefined, true], ['127.0.0.1', 'loopback', false], ['::1', 'loopback', false], ['::ffff:127.0.0.1', 'loopback', false], ['64:ff9b::7f00:1', 'loopback', false],
    ['10.96.0.12', undefined, false], ['192.168.1.10', undefined, false], ['172.16.0.1', undefined, false], ['fd12::1', undefined, false], ['93.184.216.34', undefined, false],
    ['fec0::1', undefined, false], ['hooks.example.com', undefined, false],
  ];
  for (const [a, want, loop = true] of table) assert.equal(addressRefusal(a, loop), want, `${a} (allowLoopback ${loop})`);
});

test('nameRefusal: metadata names and the cluster\'s own API and system namespaces, not look-alikes', () => {
  for (const h of ['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata']) assert.equal(nameRefusal(h), 'metadata', h);
  for (const h of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'kube-dns.kube-system.svc.cluster.local', 'kube-dns.kube-system', 'x.kube-public.svc', 'kube-system']) {
    assert.equal(nameRefusal(h), 'cluster-internal', h);
  }
  for (const h of ['kubernetes-dashboard.tools.svc', 'kube-systems.example.com', 'echo.demo.svc.cluster.local', 'sink.team-a.svc', 'hooks.example.com']) assert.equal(nameRefusal(h), undefined, h);
  assert.equal(nameRefusal('localhost', false), 'loopback');
  assert.equal(nameRefusal('localhost', true), undefined);
});

test('destinationUrlProblem: what admission refuses, in every URL spelling; loopback and private destinations pass', () => {
  for (const u of ['http://169.254.169.254/latest/meta-data/', 'http://2852039166/', 'http://0xa9fea9fe/', 'http://0251.0376.0251.0376/', 'http://169.254.43518/',
    'http://0/', 'http://0.0.0.0:8080/', 'http://[::]/', 'http://[::ffff:169.254.169.254]/', 'http://[::a9fe:a9fe]/', 'http://[64:ff9b::a9fe:a9fe]/',
    'http://[2002:a9fe:a9fe::]/', 'http://168.63.129.16/', 'http://[fe80::1]/', 'http://metadata.google.internal/', 'https://kubernetes.default.svc/',
    'http://kube-dns.kube-system.svc.cluster.local:53/', 'ftp://example.com/', 'nonsense']) {
    assert.ok(destinationUrlProblem(u), u);
  }
  for (const u of ['http://echo.demo.svc.cluster.local:9000/', 'http://10.244.1.7:8080/hooks', 'http://[fd00::7]/', 'http://127.0.0.1:9000/', 'https://hooks.example.com/in']) {
    assert.equal(destinationUrlProblem(u), undefined, u);
  }
});
