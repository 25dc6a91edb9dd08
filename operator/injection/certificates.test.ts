import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { createLogger } from '../../shared/logger.ts';
import type { KubeClient, KubeObject } from '../../shared/kube/client.ts';
import { certsFromSecret, serviceDnsNames, SERVING_LIFETIME_MS } from './cert.ts';
import { CERT_RECHECK_MS, CertKeeper, certSecretName, nextCheckMs, throwawayPair } from './certificates.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
const NAMES = serviceDnsNames('hb-webhook', 'hookbridge');

/** Just the client calls the keeper makes, over an in-memory Secret and configuration, logging each write. */
function fakeClient(o: { config?: KubeObject } = {}) {
  let secret: KubeObject | undefined;
  let config = o.config;
  const writes: string[] = [];
  const client = {
    async tryGet(r: { kind: string }) { return r.kind === 'Secret' ? secret : config; },
    async apply(_r: unknown, obj: KubeObject) { writes.push('secret'); secret = structuredClone(obj); return obj; },
    async jsonPatch(_r: unknown, _ns: unknown, _name: string, ops: { op: string; path: string; value: unknown }[]) {
      writes.push('caBundle');
      const c = structuredClone(config) as KubeObject & { webhooks: { clientConfig: { caBundle?: string } }[] };
      for (const op of ops) if (op.op === 'add') c.webhooks[Number(op.path.split('/')[2])].clientConfig.caBundle = op.value as string;
      config = c;
      return c;
    },
  };
  return { client: client as unknown as KubeClient, writes, secret: () => secret, config: () => config };
}
const configuration = (): KubeObject => ({ metadata: { name: 'hb-injector', uid: 'u-1' }, webhooks: [{ name: 'sidecar.hookbridge.io', clientConfig: { service: { name: 'hb-webhook' } } }] });

test('first pass: Secret stored, then caBundle published, then the server gets the certificate — in that order', async () => {
  const f = fakeClient({ config: configuration() });
  const order: string[] = [];
  const served: string[] = [];
  const keeper = new CertKeeper({ client: f.client, logger, namespace: 'hookbridge', service: 'hb-webhook', configuration: 'hb-injector', serve: (cert) => { order.push(`serve (after ${f.writes.join(', ')})`); served.push(cert); } });
  keeper.initial(undefined);
  const next = await keeper.reconcile();
  assert.deepEqual(order, ['serve (after secret, caBundle)']);
  const stored = certsFromSecret(f.secret()?.data as Record<string, string>);
  assert.ok(stored);
  assert.equal(served[0], stored.serving.certPem, 'the server presents what the Secret holds');
  const bundle = Buffer.from((f.config() as unknown as { webhooks: { clientConfig: { caBundle: string } }[] }).webhooks[0].clientConfig.caBundle, 'base64').toString();
  const serving = new X509Certificate(stored.serving.certPem);
  assert.ok(serving.verify(new X509Certificate(bundle).publicKey), 'the published CA signed the served certificate');
  assert.equal(f.secret()?.metadata.labels?.['app.kubernetes.io/component'], 'webhook-certificate', 'the component the chart\'s write policy admits');
  assert.equal(f.secret()?.metadata.ownerReferences?.[0]?.uid, 'u-1', 'owned by the configuration: uninstall removes it');
  assert.equal(f.secret()?.metadata.name, certSecretName('hb-webhook'));
  assert.equal(next, CERT_RECHECK_MS, 'a fresh certificate: the next look is the periodic one');
});

test('a second pass with nothing due writes nothing; a caBundle reset by hand is published again, without a new certificate', async () => {
  const f = fakeClient({ config: configuration() });
  const keeper = new CertKeeper({ client: f.client, logger, namespace: 'hookbridge', service: 'hb-webhook', configuration: 'hb-injector', serve: () => {} });
  await keeper.reconcile();
  const tls = f.secret()?.data?.['tls.crt' as never];
  f.writes.length = 0;
  await keeper.reconcile();
  assert.deepEqual(f.writes, [], 'idle: no writes');
  // Someone re-applies the chart's configuration without the caBundle.
  const g = fakeClient({ config: configuration() });
  const keeper2 = new CertKeeper({ client: g.client, logger, namespace: 'hookbridge', service: 'hb-webhook', configuration: 'hb-injector', serve: () => {} });
  await keeper2.reconcile();
  (g.config() as unknown as { webhooks: { clientConfig: { caBundle?: string } }[] }).webhooks[0].clientConfig.caBundle = undefined;
  g.writes.length = 0;
  await keeper2.reconcile();
  assert.deepEqual(g.writes, ['caBundle']);
  assert.ok(tls);
});

test('a standby loads the pair the leader stored, once; a Secret without the keys changes nothing', async () => {
  const f = fakeClient({ config: configuration() });
  const leader = new CertKeeper({ client: f.client, logger, namespace: 'hookbridge', service: 'hb-webhook', configuration: 'hb-injector', serve: () => {} });
  await leader.reconcile();
  const served: string[] = [];
  const standby = new CertKeeper({ client: f.client, logger, namespace: 'hookbridge', service: 'hb-webhook', configuration: 'hb-injector', serve: (c) => served.push(c) });
  const first = standby.initial(undefined);
  assert.ok(!certsFromSecret(f.secret()?.data as Record<string, string>)?.serving.certPem.includes(first.certPem), 'a throwaway before the Secret exists');
  assert.equal(standby.load({ metadata: { name: 'x' }, data: {} }), false);
  assert.equal(standby.load(f.secret()), true);
  assert.equal(standby.load(f.secret()), false, 'the same pair again: nothing to swap');
  assert.equal(served.length, 1);
});

test('without the configuration (install in progress) the pair is still stored and served, and the keeper looks again soon', async () => {
  const f = fakeClient();
  const keeper = new CertKeeper({ client: f.client, logger, namespace: 'hookbridge', service: 'hb-webhook', configuration: 'hb-injector', serve: () => {} });
  assert.equal(await keeper.reconcile(), 10_000);
  assert.deepEqual(f.writes, ['secret']);
});

test('throwaway pair names the Service but is signed by a CA nobody was given; nextCheckMs is the renewal time, capped', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const pair = throwawayPair(NAMES, new Date(now));
  const c = new X509Certificate(pair.certPem);
  assert.equal(c.checkHost('hb-webhook.hookbridge.svc'), 'hb-webhook.hookbridge.svc');
  assert.equal(c.issuer, 'CN=hookbridge-webhook-unpublished');
  assert.equal(nextCheckMs(pair.certPem, now), CERT_RECHECK_MS);
  // 10 minutes before the renewal point of a 90-day certificate: look then, not in 5 minutes' time... nor later.
  const renewAt = Date.parse(c.validFrom) + (Date.parse(c.validTo) - Date.parse(c.validFrom)) * (2 / 3);
  assert.ok(nextCheckMs(pair.certPem, renewAt - 60_000) <= 61_000);
  assert.equal(nextCheckMs(pair.certPem, renewAt + 3_600_000), 1_000, 'overdue: at once');
  assert.equal(nextCheckMs('not a certificate', now), 1_000);
  assert.ok(SERVING_LIFETIME_MS > CERT_RECHECK_MS);
});
