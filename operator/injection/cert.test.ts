import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { caBundle, caBundlePatch, certSecretData, certsFromSecret, mintCa, mintServing, planRotation, renewalDue, serviceDnsNames } from './cert.ts';

const DAY = 86_400_000;
const now = new Date('2031-05-01T12:00:00Z');
const names = serviceDnsNames('hookbridge-webhook', 'hookbridge');
const ca = mintCa('hookbridge-webhook-ca', { now, lifetimeMs: 365 * DAY });
const serving = mintServing(ca, names, { now, lifetimeMs: 90 * DAY });

test('CA: self-signed, a CA, for the lifetime asked', () => {
  const c = new X509Certificate(ca.certPem);
  assert.equal(c.ca, true);
  assert.equal(c.subject, 'CN=hookbridge-webhook-ca');
  assert.equal(c.issuer, c.subject);
  assert.ok(c.verify(c.publicKey), 'self-signed');
  assert.equal(Date.parse(c.validTo), Date.parse('2032-04-30T12:00:00Z'));
  assert.equal(Date.parse(c.validFrom), now.getTime() - 60_000, 'a minute of clock skew allowed');
});

test('serving certificate: signed by the CA, names <svc>.<ns>.svc, not a CA, server auth', () => {
  const s = new X509Certificate(serving.certPem);
  const c = new X509Certificate(ca.certPem);
  assert.equal(s.ca, false);
  assert.ok(s.checkIssued(c));
  assert.ok(s.verify(c.publicKey));
  assert.ok(!s.verify(new X509Certificate(mintCa('other', { now, lifetimeMs: DAY }).certPem).publicKey), 'another CA does not verify it');
  assert.equal(s.checkHost('hookbridge-webhook.hookbridge.svc'), 'hookbridge-webhook.hookbridge.svc');
  assert.equal(s.checkHost('evil.example.com'), undefined);
  assert.deepEqual(s.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.match(s.subjectAltName ?? '', /DNS:hookbridge-webhook\.hookbridge\.svc\.cluster\.local/);
  assert.ok(s.checkPrivateKey(createPrivateKey(serving.keyPem)), 'the key matches the certificate');
  assert.notEqual(s.serialNumber, new X509Certificate(mintServing(ca, names, { now, lifetimeMs: DAY }).certPem).serialNumber, 'serials are random');
  assert.throws(() => mintServing(serving, names, { now, lifetimeMs: DAY }), /not a CA/);
  assert.throws(() => mintServing(ca, [], { now, lifetimeMs: DAY }), /DNS name/);
});

test('dates from 2050 are GeneralizedTime (RFC 5280) and still read back', () => {
  const late = mintCa('late', { now: new Date('2049-12-31T00:00:00Z'), lifetimeMs: 10 * DAY });
  assert.equal(Date.parse(new X509Certificate(late.certPem).validTo), Date.parse('2050-01-10T00:00:00Z'));
});

test('openssl agrees (when it is installed)', (t) => {
  try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); } catch { t.skip('no openssl'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'hb-cert-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 's.pem'), serving.certPem);
    const out = execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-attime', String(now.getTime() / 1000 + 3600), '-CAfile', join(dir, 'ca.pem'), join(dir, 's.pem')]).toString();
    assert.match(out, /s\.pem: OK/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('renewal is due when less than a third of the lifetime remains', () => {
  const notBefore = now.getTime() - 60_000;
  const notAfter = now.getTime() + 90 * DAY;
  const third = (notAfter - notBefore) / 3;
  assert.equal(renewalDue(serving.certPem, now), false);
  assert.equal(renewalDue(serving.certPem, new Date(notAfter - third - 1000)), false);
  assert.equal(renewalDue(serving.certPem, new Date(notAfter - third + 1000)), true);
  assert.equal(renewalDue(serving.certPem, new Date(notAfter + 1)), true, 'expired');
  assert.equal(renewalDue(serving.certPem, new Date(notBefore - DAY)), true, 'not valid yet (a clock jumped back)');
  assert.equal(renewalDue(undefined, now), true);
  assert.equal(renewalDue('garbage', now), true);
});

const opts = { dnsNames: names, caLifetimeMs: 365 * DAY, servingLifetimeMs: 90 * DAY };

test('rotation: first start mints both; a fresh pair is kept; a serving renewal keeps the CA and the bundle', () => {
  const first = planRotation(undefined, { ...opts, now });
  assert.ok(first.caRotated && first.servingRotated);
  assert.equal(first.caBundle, caBundle([first.ca.certPem], now));
  const kept = planRotation(first, { ...opts, now: new Date(now.getTime() + 10 * DAY) });
  assert.ok(!kept.caRotated && !kept.servingRotated);
  assert.equal(kept.serving, first.serving);
  const later = new Date(now.getTime() + 61 * DAY); // 29 days of 90 left < 30
  const renewed = planRotation(first, { ...opts, now: later });
  assert.equal(renewed.caRotated, false);
  assert.equal(renewed.servingRotated, true);
  assert.equal(renewed.caBundle, first.caBundle, 'no caBundle write for a serving renewal');
  assert.ok(new X509Certificate(renewed.serving.certPem).verify(new X509Certificate(first.ca.certPem).publicKey));
});

test('rotation: a renewed CA is bundled with the previous one; a serving cert for other names is replaced', () => {
  const first = planRotation(undefined, { ...opts, now });
  const late = new Date(now.getTime() + 250 * DAY); // CA: 115 of 365 days left, under a third
  const r = planRotation(first, { ...opts, now: late });
  assert.ok(r.caRotated && r.servingRotated);
  const inBundle = r.caBundle.match(/BEGIN CERTIFICATE/g)?.length;
  assert.equal(inBundle, 2, 'old CA kept while the old serving certificate may still be served');
  assert.ok(new X509Certificate(r.serving.certPem).checkIssued(new X509Certificate(r.ca.certPem)));
  const next = planRotation(r, { ...opts, now: new Date(late.getTime() + DAY) });
  assert.ok(!next.caRotated && !next.servingRotated);
  assert.equal(next.caBundle, r.caBundle, 'the previous CA stays published on the next look (replicas may not have swapped yet)');
  const afterOldExpired = planRotation(next, { ...opts, now: new Date(now.getTime() + 366 * DAY) });
  assert.equal(afterOldExpired.caBundle.match(/BEGIN CERTIFICATE/g)?.length, 1, 'dropped once expired');
  assert.ok(!afterOldExpired.caRotated, 'the new CA is still young');
  const moved = planRotation(first, { ...opts, now, dnsNames: serviceDnsNames('renamed', 'hookbridge') });
  assert.ok(!moved.caRotated && moved.servingRotated, 'a Service rename re-issues the serving certificate');
  const shortCa = planRotation(undefined, { ...opts, now, caLifetimeMs: 100 * DAY });
  const soon = planRotation(shortCa, { ...opts, now: new Date(now.getTime() + 20 * DAY), caLifetimeMs: 100 * DAY });
  assert.ok(soon.caRotated, 'a CA that would expire before the next serving certificate is renewed early');
});

test('caBundle: each certificate once, expired ones dropped, newest first', () => {
  const older = mintCa('older', { now: new Date(now.getTime() - 300 * DAY), lifetimeMs: 301 * DAY });
  const expired = mintCa('expired', { now: new Date(now.getTime() - 10 * DAY), lifetimeMs: DAY });
  const b = caBundle([older.certPem, ca.certPem + older.certPem, expired.certPem, 'junk'], now);
  const certs = b.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  assert.deepEqual(certs.map((c) => new X509Certificate(c).subject), ['CN=hookbridge-webhook-ca', 'CN=older']);
  assert.equal(caBundle([], now), '');
});

test('caBundlePatch: only webhooks whose bundle differs (by certificate, not by bytes), guarded by name', () => {
  const bundle = caBundle([ca.certPem], now);
  const b64 = Buffer.from(bundle).toString('base64');
  const cfg = {
    metadata: { name: 'hookbridge-sidecar-injector' },
    webhooks: [
      { name: 'inject.hookbridge.io', clientConfig: { service: { name: 's', namespace: 'n' } } },
      { name: 'same.hookbridge.io', clientConfig: { caBundle: Buffer.from(bundle.replace(/\n/g, '\r\n')).toString('base64') } },
      { name: 'stale.hookbridge.io', clientConfig: { caBundle: Buffer.from(mintCa('x', { now, lifetimeMs: DAY }).certPem).toString('base64') } },
      { name: 'no-client-config.hookbridge.io' },
    ],
  };
  assert.deepEqual(caBundlePatch(cfg, bundle), [
    { op: 'test', path: '/webhooks/0/name', value: 'inject.hookbridge.io' },
    { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: b64 },
    { op: 'test', path: '/webhooks/2/name', value: 'stale.hookbridge.io' },
    { op: 'add', path: '/webhooks/2/clientConfig/caBundle', value: b64 },
  ]);
  const done = { metadata: cfg.metadata, webhooks: [{ name: 'a', clientConfig: { caBundle: b64 } }] };
  assert.deepEqual(caBundlePatch(done, bundle), [], 'no write when up to date');
});

test('the pair round-trips through Secret data; a missing key means "mint anew"', () => {
  const plan = planRotation(undefined, { ...opts, now });
  const held = { ca: plan.ca, serving: plan.serving, caBundle: plan.caBundle };
  const data = certSecretData(held);
  assert.deepEqual(Object.keys(data).sort(), ['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  assert.deepEqual(certsFromSecret(data), held);
  const { 'ca.key': _dropped, ...partial } = data;
  assert.equal(certsFromSecret(partial), undefined);
  assert.equal(certsFromSecret(undefined), undefined);
  const again = planRotation(certsFromSecret(data), { ...opts, now: new Date(now.getTime() + DAY) });
  assert.ok(!again.caRotated && !again.servingRotated, 'a restarted operator keeps the stored pair');
});
