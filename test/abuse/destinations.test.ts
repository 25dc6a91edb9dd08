// Issue 9 item 3, the connector's half: a Subscription cannot aim a cluster connector at link-local,
// metadata, unspecified or loopback addresses in any spelling or IPv6 embedding, neither by literal nor
// through DNS, nor by a redirect; by default it reaches its namespace's Services and private (pod/Service)
// addresses, and the chart's allowlist opens more. Before the fix `0.0.0.0`, `0`, `[::]`, the
// IPv4-compatible, NAT64 and 6to4 forms of 169.254.169.254, 168.63.129.16 and the cluster's own API by
// name all passed, and cluster connectors ran without an allowlist or --forbid-loopback.
//
// No test here connects anywhere but loopback: refused destinations go to a sender that only counts
// (a refusal must come before any connection attempt), DNS answers come from a fake resolver, and the
// redirect test uses two loopback servers.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { HttpSender, type AttemptRequest, type AttemptResponse } from '../../connector/delivery/attempt.ts';
import { Deliverer } from '../../connector/delivery/deliver.ts';
import { connectLookup, DestinationGuard, REFUSED_CODE, type Lookup } from '../../connector/delivery/guard.ts';
import { systemClock } from '../../connector/clock.ts';
import { connectorMetrics } from '../../connector/metrics.ts';
import { buildConnectorConfigMap, buildConnectorDeployment } from '../../operator/controllers/connector/resources/connector.ts';
import { sub } from '../../operator/controllers/testing/fixtures.ts';
import type { ConnectorConfig, ConnectorSubscription } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { createRegistry } from '../../shared/metrics.ts';
import type { MessageFrame } from '../../shared/protocol.ts';

const NS = 'demo';
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];
/** An allowlist that admits every address and name: the refusals must hold even against it. */
const EVERYTHING = ['0.0.0.0/0', '::/0', '*.attacker.test', 'localhost', 'metadata.google.internal', 'metadata', 'kubernetes', 'kubernetes.default.svc', 'kube-dns.kube-system', 'kube-dns.kube-system.svc.cluster.local'];

/** Every spelling of a refused address the issue names, and more. */
const REFUSED_LITERALS = [
  'http://169.254.169.254/latest/meta-data/', 'http://2852039166/', 'http://0xa9fea9fe/', 'http://0251.0376.0251.0376/', 'http://0xa9.0xfe.0xa9.0xfe/',
  'http://169.254.43518/', 'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[::a9fe:a9fe]/', 'http://[::169.254.169.254]/',
  'http://[64:ff9b::a9fe:a9fe]/', 'http://[64:ff9b::169.254.169.254]/', 'http://[2002:a9fe:a9fe::]/', 'http://[fe80::1]/', 'http://[fe80::a9fe:a9fe]/',
  'http://[fd00:ec2::254]/', 'http://168.63.129.16/', 'http://100.100.100.200/', 'http://0.0.0.0:9000/', 'http://0:9000/', 'http://0.0.0.1/',
  'http://[::]:9000/', 'http://[0:0:0:0:0:0:0:0]/', 'http://127.0.0.1:9091/metrics', 'http://2130706433:9091/', 'http://[::1]:9091/',
  'http://[::ffff:127.0.0.1]:9091/', 'http://localhost:9091/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://metadata/',
  'https://kubernetes.default.svc/', 'https://kubernetes/', 'http://kube-dns.kube-system.svc.cluster.local:53/', 'http://kube-dns.kube-system:53/',
];

/** What the fake DNS answers: names that resolve to refused addresses, and ordinary ones. */
const DNS: Record<string, string[]> = {
  'echo.demo.svc.cluster.local': ['10.96.4.20'],
  'echo.demo.svc': ['10.96.4.20'],
  'echo.other.svc.cluster.local': ['10.96.9.9'],
  'hooks.example.com': ['93.184.216.34'],
  'mapped.attacker.test': ['::ffff:169.254.169.254'],
  'compat.attacker.test': ['::a9fe:a9fe'],
  'nat64.attacker.test': ['64:ff9b::a9fe:a9fe'],
  '6to4.attacker.test': ['2002:a9fe:a9fe::'],
  'teredo.attacker.test': ['2001:0:4136:e378:8000:63bf:5601:5601'],
  'azure.attacker.test': ['168.63.129.16'],
  'zero.attacker.test': ['0.0.0.0'],
  'any6.attacker.test': ['::'],
  'mixed.attacker.test': ['93.184.216.34', '169.254.169.254'],
  'loop.attacker.test': ['127.0.0.1'],
  // What these resolve to in a cluster: private addresses the default allows, so only the name refuses them.
  'kubernetes': ['10.0.0.1'], 'kubernetes.default.svc': ['10.0.0.1'],
  'kube-dns.kube-system': ['10.0.0.10'], 'kube-dns.kube-system.svc.cluster.local': ['10.0.0.10'],
  'metadata.google.internal': ['169.254.169.254'], 'metadata': ['169.254.169.254'], 'localhost': ['127.0.0.1'],
};
const lookup: Lookup = async (h) => { const a = DNS[h]; if (!a) throw new Error(`ENOTFOUND ${h}`); return a; };

/** A sender that never connects: it counts what it was asked to send. */
class CountingSender {
  sent: string[] = [];
  async send(req: AttemptRequest): Promise<AttemptResponse> { this.sent.push(req.url); return { status: 204, latencyMs: 0 }; }
  async close(): Promise<void> {}
}

/** The pipeline a cluster connector builds (SubscriptionRunner): allowlist from the config, loopback forbidden. */
function clusterDeliverer(url: string, allowed: string[] = PRIVATE) {
  const s: ConnectorSubscription = {
    namespace: NS, name: 'sink', channel: { namespace: NS, name: 'ch' }, tokenFile: 'x', destination: { url },
    delivery: { timeoutMs: 2000, maxAttempts: 3, retryScheduleMs: [1000], jitter: 0, concurrency: 1, ordering: 'none' },
    signing: { scheme: 'standard-webhooks', secretFiles: [] },
  };
  const sender = new CountingSender();
  const guard = new DestinationGuard({ namespace: NS, allowed, allowLoopback: false, lookup });
  const d = new Deliverer({
    sub: s, signingSecrets: () => [], guard, sender: sender as unknown as HttpSender, clock: systemClock,
    metrics: connectorMetrics(createRegistry({ defaults: false })), logger: createLogger({ name: 't', level: 'silent', destination: new Writable({ write(_c, _e, cb) { cb(); } }) }),
  });
  return { d, sender };
}

let seq = 0;
const frame = (): MessageFrame => ({
  type: 'message', id: `msg_${++seq}`, subscription: `${NS}/sink`, attempt: 1, deliveryCount: 0, receivedAt: new Date().toISOString(),
  contentType: 'application/json', headers: {}, body: Buffer.from('{}').toString('base64'),
});
const ctx = { signal: new AbortController().signal, ackTimeoutMs: 30_000 };

async function outcome(url: string, allowed?: string[]): Promise<{ kind: string; reason?: string; sent: number }> {
  const { d, sender } = clusterDeliverer(url, allowed);
  const s = await d.deliver(frame(), ctx);
  const f = s.frame;
  return { kind: f?.type === 'nack' ? f.action : f?.type ?? 'none', reason: s.report.reason, sent: sender.sent.length };
}

test(`cluster connector: ${REFUSED_LITERALS.length} refused destinations are dead-lettered before any connection attempt, whatever the allowlist says`, async () => {
  const passed: string[] = [];
  for (const url of REFUSED_LITERALS) {
    const o = await outcome(url, EVERYTHING);
    if (o.kind !== 'dead' || o.sent !== 0 || !/destination refused/.test(o.reason ?? '')) passed.push(`${url} → ${o.kind} (${o.reason ?? 'sent'})`);
  }
  assert.deepEqual(passed, [], 'these reached the sender');
});

test('cluster connector: names that resolve to refused addresses (every embedding) are refused before connecting', async () => {
  const passed: string[] = [];
  for (const host of Object.keys(DNS).filter((h) => h.endsWith('.attacker.test'))) {
    const o = await outcome(`http://${host}/`, EVERYTHING);
    if (o.kind !== 'dead' || o.sent !== 0) passed.push(`${host} → ${o.kind}`);
  }
  assert.deepEqual(passed, []);
});

/** What the connect-time lookup hands the socket: [error code, addresses]. */
function atConnect(host: string): Promise<[string | undefined, string[]]> {
  const l = connectLookup({ namespace: NS, allowed: EVERYTHING, allowLoopback: false, lookup });
  return new Promise((resolve) => l(host, { all: true }, (err, address) =>
    resolve([err ? (err.code ?? 'error') : undefined, err ? [] : (address as unknown as LookupAddress[]).map((a) => a.address)])));
}

test('at connect time (after DNS, every socket): refused answers fail the connect, so no address is ever dialled', async () => {
  for (const host of Object.keys(DNS).filter((h) => h.endsWith('.attacker.test'))) {
    assert.deepEqual(await atConnect(host), [REFUSED_CODE, []], host);
  }
  assert.deepEqual(await atConnect('echo.demo.svc.cluster.local'), [undefined, ['10.96.4.20']]);
});

test('the default still delivers to the namespace\'s Services and to private pod/Service addresses; the allowlist opens more', async () => {
  for (const url of ['http://echo.demo.svc.cluster.local:9000/', 'http://echo.demo.svc:9000/', 'http://10.244.1.7:8080/hooks', 'http://192.168.3.4/', 'http://[fd00::7]/']) {
    assert.deepEqual(await outcome(url), { kind: 'ack', reason: undefined, sent: 1 }, url);
  }
  assert.equal((await outcome('https://hooks.example.com/in')).kind, 'dead', 'public hosts need the allowlist');
  assert.equal((await outcome('https://hooks.example.com/in', [...PRIVATE, '*.example.com'])).kind, 'ack');
  assert.equal((await outcome('http://echo.demo.svc.cluster.local:9000/', [])).kind, 'ack', 'an empty allowlist keeps the namespace\'s Services');
  assert.equal((await outcome('http://10.244.1.7:8080/', [])).kind, 'dead', 'an empty allowlist: Services by name only');
});

test('the operator gives every cluster connector the chart\'s allowlist and --forbid-loopback', () => {
  const s = sub({ name: 'sink', namespace: NS, spec: { destination: { url: 'http://echo.demo.svc.cluster.local:9000/' } } });
  const input = { namespace: NS, subscriptions: [s], receiverUrl: 'http://receiver:8080', image: 'hookbridge:test', allowedDestinations: [...PRIVATE, '*.example.com'] };
  const config = JSON.parse((buildConnectorConfigMap(input).data as Record<string, string>)['config.json']) as ConnectorConfig;
  assert.deepEqual(config.allowedDestinations, [...PRIVATE, '*.example.com']);
  const args = ((buildConnectorDeployment(input).spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0].args);
  assert.ok(args.includes('--forbid-loopback'), args.join(' '));
});

test('redirects are never followed: a 302 is a failed attempt and its Location gets no request', async () => {
  let elsewhere = 0;
  const target = createServer((_req, res) => { elsewhere++; res.end('ok'); });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const to = `http://127.0.0.1:${(target.address() as AddressInfo).port}/stolen`;
  const origin = createServer((_req, res) => { res.writeHead(302, { location: to }).end(); });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const sender = new HttpSender({ connections: 1, lookup: new DestinationGuard({ namespace: NS }).connectLookup() });
  try {
    const res = await sender.send({ url: `http://127.0.0.1:${(origin.address() as AddressInfo).port}/hooks`, headers: {}, body: Buffer.from('{}'), timeoutMs: 5000 });
    assert.equal(res.status, 302);
    assert.equal(elsewhere, 0);
  } finally {
    await sender.close();
    for (const s of [target, origin]) { s.closeAllConnections(); await new Promise((r) => s.close(r)); }
  }
});
