// Issue 9 item 3, the API's half, on a real kube-apiserver: the CRD refuses destinations its CEL can
// recognise without DNS (metadata and cluster-internal names, link-local/metadata/unspecified literals,
// numeric IPv4 spellings, simple IPv6 forms), and the operator reports the rest (IPv4 carried in IPv6)
// as Ready=False InvalidDestination with a Warning event. Before the fix all of them were admitted and
// the Subscriptions reported Ready. Namespace Services and private addresses stay admitted and Ready.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { channel, namespace, subscription } from '../harness/operator-apply.ts';
import { must, readyReason, startTestKube, startTestOperator, waitFor, type TestOperator } from '../harness/operator-env.ts';
import type { Kube } from '../harness/kube.ts';

const NS = 'team-dest';
let kube: Kube;
let op: TestOperator;

before(async () => {
  kube = await startTestKube();
  op = await startTestOperator(kube);
  await must(kube, ['apply', '-f', '-'], [namespace(NS), channel(NS, 'ch')].map((m) => stringify(m)).join('---\n'));
});
after(async () => { await op?.stop(); await kube?.stop(); });

const apply = (name: string, url: string) =>
  kube.kubectl(['apply', '-f', '-'], stringify(subscription(NS, name, { channelRef: { name: 'ch' }, destination: { url } })));

/** Refused at admission: [url, a piece of the CEL rule's message]. */
const BY_CEL: [string, string][] = [
  ['http://169.254.169.254/latest/meta-data/', 'link-local'],
  ['http://168.63.129.16/', 'metadata address'],
  ['http://100.100.100.200/', 'metadata address'],
  ['http://0.0.0.0:9000/', 'unspecified'],
  ['http://0:9000/', 'dotted quad'],
  ['http://2852039166/', 'dotted quad'],
  ['http://0xa9fea9fe/', 'dotted quad'],
  ['http://0251.0376.0251.0376/', 'dotted quad'],
  ['http://[::]/', 'unspecified (::)'],
  ['http://[0:0:0:0:0:0:0:0]/', 'unspecified (::)'],
  ['http://[fe80::1]/', 'link-local (fe80::/10)'],
  ['http://[fd00:ec2::254]/', 'metadata'],
  ['http://[::ffff:169.254.169.254]/', 'IPv4-mapped'],
  ['http://[::ffff:a9fe:a9fe]/', 'IPv4-mapped'],
  ['http://metadata.google.internal/computeMetadata/v1/', 'cloud metadata endpoint'],
  ['http://metadata/', 'cloud metadata endpoint'],
  ['https://kubernetes.default.svc/', 'API server'],
  ['https://kubernetes.default.svc.cluster.local/', 'API server'],
  ['http://kube-dns.kube-system.svc.cluster.local:53/', 'system namespace'],
  ['http://kube-dns.kube-system:53/', 'system namespace'],
];

/** Admitted by the CRD (CEL cannot decode these), refused by the operator. */
const BY_OPERATOR = ['http://[::a9fe:a9fe]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:a9fe:a9fe::]/', 'http://[2001:0:4136:e378:8000:63bf:5601:5601]/'];

test(`the CRD refuses ${BY_CEL.length} destinations at admission, each with a message a person can act on`, async () => {
  const admitted: string[] = [];
  for (const [i, [url, message]] of BY_CEL.entries()) {
    const r = await apply(`cel-${i}`, url);
    if (r.code === 0) admitted.push(url);
    else assert.ok(r.stderr.includes(message), `${url}: ${r.stderr}`);
  }
  assert.deepEqual(admitted, [], 'admitted by the apiserver');
});

test('what CEL cannot decode is Ready=False InvalidDestination with a Warning event, and never reaches a connector', async () => {
  for (const [i, url] of BY_OPERATOR.entries()) {
    const name = `embedded-${i}`;
    const r = await apply(name, url);
    assert.equal(r.code, 0, r.stderr);
    const c = await readyReason(kube, NS, 'whsub', name, 'InvalidDestination');
    assert.match(c.message, /link-local|metadata/, url);
    await waitFor(`InvalidDestination event for ${name}`, async () => {
      const ev = JSON.parse(await must(kube, ['get', 'events.events.k8s.io', '-n', NS, '--field-selector', `regarding.name=${name}`, '-o', 'json'])) as { items: { reason: string; type: string }[] };
      return ev.items.some((e) => e.reason === 'InvalidDestination' && e.type === 'Warning');
    });
  }
});

test('a Service of the namespace and a private pod/Service address are admitted and Ready', async () => {
  for (const [name, url] of [['svc', 'http://echo.team-dest.svc.cluster.local:9000/'], ['pod-ip', 'http://10.244.1.7:8080/hooks'], ['svc-ip6', 'http://[fd00::7]:8080/']]) {
    const r = await apply(name, url);
    assert.equal(r.code, 0, r.stderr);
  }
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', NS, 'whsub/svc', 'whsub/pod-ip', 'whsub/svc-ip6']);
  const cm = JSON.parse(await must(kube, ['get', 'configmap', 'hookbridge-connector', '-n', NS, '-o', 'json'])) as { data: Record<string, string> };
  const config = JSON.parse(cm.data['config.json']) as { allowedDestinations?: string[]; subscriptions: { name: string }[] };
  assert.deepEqual(config.subscriptions.map((s) => s.name).sort(), ['pod-ip', 'svc', 'svc-ip6'], 'only admitted, valid destinations reach the connector');
  assert.deepEqual(config.allowedDestinations, ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']);
});
