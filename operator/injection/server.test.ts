import assert from 'node:assert/strict';
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import type { Subscription } from '../../shared/api/v1alpha1.ts';
import { sub } from '../controllers/testing/fixtures.ts';
import type { AdmissionOutcome, AdmissionReview } from './admission.ts';
import { mintCa, mintServing, serviceDnsNames, type KeyPair } from './cert.ts';
import { INJECT_ANNOTATION, type JsonPatchOp } from './mutation.ts';
import { MAX_BODY_BYTES, startWebhookServer, type WebhookServer } from './server.ts';

const DAY = 86_400_000;
const HOST = 'hookbridge-webhook.hookbridge.svc';
const mint = (): { ca: KeyPair; serving: KeyPair } => {
  const ca = mintCa('hookbridge-webhook-ca', { now: new Date(), lifetimeMs: 365 * DAY });
  return { ca, serving: mintServing(ca, serviceDnsNames('hookbridge-webhook', 'hookbridge'), { now: new Date(), lifetimeMs: 90 * DAY }) };
};
const first = mint();
const orders: Subscription = {
  ...sub({ name: 'orders', namespace: 'shop', spec: { destination: { sidecar: { port: 8080 } } } }),
  status: { conditions: [{ type: 'ChannelBound', status: 'True' }, { type: 'SecretsReady', status: 'True' }] },
};
const seen: AdmissionOutcome[] = [];
let srv: WebhookServer;

before(async () => {
  srv = await startWebhookServer({
    cert: first.serving.certPem, key: first.serving.keyPem, port: 0, host: '127.0.0.1', image: 'hookbridge:test',
    subscriptionsIn: (ns) => (ns === 'shop' ? [orders] : []),
    onReview: (o) => { seen.push(o); throw new Error('an observer that throws does not break the answer'); },
  });
});
after(() => srv.close());

interface Reply { status: number; body: string; peer: X509Certificate }
function call(ca: string, o: { method?: string; path?: string; body?: string | Buffer; contentType?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: srv.port, servername: HOST, ca, agent: false,
      method: o.method ?? 'POST', path: o.path ?? '/mutate', headers: { 'content-type': o.contentType ?? 'application/json' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), peer: new X509Certificate((res.socket as TLSSocket).getPeerCertificate().raw) }));
    });
    req.on('error', reject);
    if (o.body !== undefined) req.end(o.body); else req.end();
  });
}
const reviewBody = (inject: string): string => JSON.stringify({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
  request: {
    uid: 'c0ffee', resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'shop', operation: 'CREATE',
    object: { metadata: { annotations: { [INJECT_ANNOTATION]: inject } }, spec: { containers: [{ name: 'app' }] } },
  },
});

test('POST /mutate over real TLS: the certificate verifies for <svc>.<ns>.svc and the review is answered', async () => {
  const r = await call(first.ca.certPem, { body: reviewBody('orders') });
  assert.equal(r.status, 200);
  const out = JSON.parse(r.body) as AdmissionReview;
  assert.equal(out.response?.uid, 'c0ffee');
  assert.equal(out.response?.allowed, true);
  const ops = JSON.parse(Buffer.from(out.response?.patch ?? '', 'base64').toString()) as JsonPatchOp[];
  assert.ok(ops.some((op) => op.path === '/spec/initContainers'));
  assert.equal(seen.at(-1)?.result?.injected[0], 'orders', 'the observer hears about it');
});

test('a client trusting another CA refuses the server', async () => {
  await assert.rejects(call(mint().ca.certPem, { body: reviewBody('orders') }), /self.signed|unable to verify|certificate/i);
});

test('rotation: setCertificate serves the new certificate to new connections, without a restart', async () => {
  const next = mint();
  srv.setCertificate(next.serving.certPem, next.serving.keyPem);
  const r = await call(next.ca.certPem, { body: reviewBody('orders') });
  assert.equal(r.status, 200);
  assert.equal(r.peer.fingerprint256, new X509Certificate(next.serving.certPem).fingerprint256);
  await assert.rejects(call(first.ca.certPem, { body: reviewBody('orders') }), 'the old CA no longer verifies what is served');
  srv.setCertificate(first.serving.certPem, first.serving.keyPem);
});

test('what is not a review: 400 without a uid, 404, 405, 415, 413; /healthz answers', async () => {
  const ca = first.ca.certPem;
  assert.equal((await call(ca, { body: '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{}}' })).status, 400);
  assert.equal((await call(ca, { body: 'not json' })).status, 400);
  assert.equal((await call(ca, { path: '/other', body: '{}' })).status, 404);
  assert.equal((await call(ca, { method: 'GET' })).status, 405);
  assert.equal((await call(ca, { body: reviewBody('orders'), contentType: 'text/plain' })).status, 415);
  // Past the limit the server stops reading and cuts the connection: the client sees a reset (or, if
  // the 413 wins the race, the 413), never a 200 — and the server goes on serving.
  const big = await call(ca, { body: Buffer.alloc(MAX_BODY_BYTES + 1024, 0x20) }).then((r) => String(r.status), (e: NodeJS.ErrnoException) => e.code ?? e.message);
  assert.ok(['413', 'ECONNRESET', 'EPIPE'].includes(big), `refused: ${big}`);
  assert.equal((await call(ca, { body: reviewBody('orders') })).status, 200);
  assert.equal((await call(ca, { method: 'GET', path: '/healthz' })).status, 200);
});
