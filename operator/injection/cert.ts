// The webhook's serving certificate: a self-signed CA and a serving certificate for `<svc>.<ns>.svc`,
// minted with node:crypto alone, plus the pure decisions around them (when to renew, what the
// MutatingWebhookConfiguration's caBundle should be, whether it needs a write).
//
// node:crypto makes keys, signs and parses X.509 (X509Certificate) but cannot build a certificate. Rather
// than add a dependency to the operator image (the runtime image is distroless, so no openssl either),
// this file encodes the two certificate shapes it needs in DER by hand — about a hundred lines of
// TLV writing; the cryptography (P-256 keys, ECDSA-SHA256 signatures) is node:crypto's. cert.test.ts checks
// the result with node's X509Certificate, a real TLS handshake, and `openssl verify` when present.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

// ---- DER (X.690) writing: only what two certificate shapes need ----
const len = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, ...content: Buffer[]): Buffer => { const c = Buffer.concat(content); return Buffer.concat([Buffer.from([tag]), len(c.length), c]); };
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const explicit = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 | n, ...c);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
/** A BIT STRING of whole bytes (signatures) or of `bits` flags counted from the most significant bit (keyUsage). */
const bitString = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.from([unused]), b);
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const enc = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) enc.unshift(0x80 | (v & 0x7f));
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
}
/** A positive INTEGER from big-endian bytes (a leading 0x00 when the top bit is set, no other leading zeros). */
function uint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), whole seconds, Z. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:T]/g, '');
  const y = d.getUTCFullYear();
  return y < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}
const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const keyId = (spki: Buffer): Buffer => createHash('sha1').update(spki).digest();

interface TbsInput {
  serial: Buffer; issuer: string; subject: string; notBefore: Date; notAfter: Date; spki: Buffer;
  ca: boolean; dnsNames: string[]; issuerSpki: Buffer;
}
function tbs(i: TbsInput): Buffer {
  const exts = [
    extension('2.5.29.19', true, seq(...(i.ca ? [bool(true), tlv(0x02, Buffer.from([0]))] : []))), // basicConstraints (CA: pathLen 0)
    // keyUsage: CA keyCertSign|cRLSign (bits 5, 6: 0x06, 1 unused bit); leaf digitalSignature (bit 0: 0x80, 7 unused)
    extension('2.5.29.15', true, i.ca ? bitString(Buffer.from([0x06]), 1) : bitString(Buffer.from([0x80]), 7)),
    extension('2.5.29.14', false, octets(keyId(i.spki))), // subjectKeyIdentifier
    extension('2.5.29.35', false, seq(tlv(0x80, keyId(i.issuerSpki)))), // authorityKeyIdentifier [0] keyIdentifier
  ];
  if (!i.ca) {
    exts.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1')))); // extKeyUsage serverAuth
    exts.push(extension('2.5.29.17', false, seq(...i.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii')))))); // subjectAltName dNSName
  }
  return seq(
    explicit(0, tlv(0x02, Buffer.from([2]))), // v3
    uint(i.serial),
    ECDSA_SHA256,
    name(i.issuer),
    seq(time(i.notBefore), time(i.notAfter)),
    name(i.subject),
    i.spki,
    explicit(3, seq(...exts)),
  );
}
const pem = (der: Buffer, label: string): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`;

function serial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x40; // positive, 16 bytes long, no leading zero
  return b;
}

export interface KeyPair { certPem: string; keyPem: string }
export interface MintOptions { now: Date; lifetimeMs: number }

function mint(o: MintOptions & { subject: string; ca: boolean; dnsNames: string[]; issuer?: { cert: X509Certificate; key: KeyObject } }): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // One minute back: a node whose clock is a little behind still accepts a certificate minted just now.
  const notBefore = new Date(Math.floor((o.now.getTime() - 60_000) / 1000) * 1000);
  const notAfter = new Date(Math.floor((o.now.getTime() + o.lifetimeMs) / 1000) * 1000);
  const issuerSpki = o.issuer ? o.issuer.cert.publicKey.export({ type: 'spki', format: 'der' }) : spki;
  const body = tbs({
    serial: serial(), issuer: o.issuer ? o.issuer.cert.subject.replace(/^CN=/, '') : o.subject, subject: o.subject,
    notBefore, notAfter, spki, ca: o.ca, dnsNames: o.dnsNames, issuerSpki,
  });
  const signature = sign('sha256', body, o.issuer?.key ?? privateKey); // ECDSA: DER-encoded (r, s)
  const der = seq(body, ECDSA_SHA256, bitString(signature));
  return { certPem: pem(der, 'CERTIFICATE'), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** A self-signed CA that signs only serving certificates (pathLen 0). */
export function mintCa(commonName: string, o: MintOptions): KeyPair {
  return mint({ ...o, subject: commonName, ca: true, dnsNames: [] });
}

/** The names the apiserver may use for a Service: it calls `<svc>.<ns>.svc`. */
export const serviceDnsNames = (service: string, namespace: string): string[] =>
  [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];

/** A serving certificate for `dnsNames`, signed by `ca`. */
export function mintServing(ca: KeyPair, dnsNames: string[], o: MintOptions): KeyPair {
  if (dnsNames.length === 0) throw new Error('a serving certificate needs at least one DNS name');
  const cert = new X509Certificate(ca.certPem);
  if (!cert.ca) throw new Error('the issuer is not a CA certificate');
  return mint({ ...o, subject: dnsNames[0], ca: false, dnsNames, issuer: { cert, key: createPrivateKey(ca.keyPem) } });
}

// ---- decisions ----

/** Renew when less than a third of the certificate's lifetime remains (or it is unreadable, or not yet valid). */
export function renewalDue(certPem: string | undefined, now: Date): boolean {
  if (!certPem) return true;
  let c: X509Certificate;
  try { c = new X509Certificate(certPem); } catch { return true; }
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  const t = now.getTime();
  if (!(to > from) || t < from) return true;
  return to - t < (to - from) / 3;
}

export interface WebhookCerts {
  ca: KeyPair;
  serving: KeyPair;
  /** The bundle last published. Its CAs stay in the next one until they expire: every operator replica serves the webhook, and one that has not reloaded the stored pair yet still presents a certificate of the previous CA. */
  caBundle?: string;
}
export interface RotationPlan {
  ca: KeyPair;
  serving: KeyPair;
  /** PEM bundle for the webhook configuration: the current CA first, then earlier ones until they expire. */
  caBundle: string;
  /** What changed: persist (Secret), then publish the caBundle, then serve the new certificate — in that order. */
  caRotated: boolean;
  servingRotated: boolean;
}

/** The lifetimes the operator uses (docs): a CA outlives several serving certificates, so most renewals leave caBundle alone. */
export const CA_LIFETIME_MS = 365 * 86_400_000;
export const SERVING_LIFETIME_MS = 90 * 86_400_000;

export interface RotationOptions { now: Date; dnsNames: string[]; caLifetimeMs: number; servingLifetimeMs: number; caCommonName?: string }

/** Serving cert signed by this CA and naming every DNS name. */
function servingMatches(serving: KeyPair, ca: KeyPair, dnsNames: string[]): boolean {
  try {
    const s = new X509Certificate(serving.certPem);
    const c = new X509Certificate(ca.certPem);
    return s.checkIssued(c) && s.verify(c.publicKey) && dnsNames.every((d) => s.checkHost(d, { wildcards: false }) === d);
  } catch { return false; }
}

/**
 * What the operator should hold after one look at the stored pair (undefined: first start). The CA lives
 * longer than serving certificates (default: a year against 90 days), so most renewals keep the CA and
 * the caBundle does not change. When the CA renews, the previous CA stays in the bundle (until it expires)
 * so the apiserver keeps trusting certificates still served by replicas that have not swapped yet.
 */
export function planRotation(current: WebhookCerts | undefined, o: RotationOptions): RotationPlan {
  const mintOpts = (lifetimeMs: number): MintOptions => ({ now: o.now, lifetimeMs });
  const caRotated = !current || renewalDue(current.ca.certPem, o.now)
    // a CA that does not outlive the next serving certificate is renewed now, not in the middle of its life
    || Date.parse(new X509Certificate(current.ca.certPem).validTo) < o.now.getTime() + o.servingLifetimeMs;
  const ca = caRotated ? mintCa(o.caCommonName ?? 'hookbridge-webhook-ca', mintOpts(o.caLifetimeMs)) : current.ca;
  const servingRotated = caRotated || renewalDue(current.serving.certPem, o.now) || !servingMatches(current.serving, ca, o.dnsNames);
  const serving = servingRotated ? mintServing(ca, o.dnsNames, mintOpts(o.servingLifetimeMs)) : current.serving;
  const previous = current ? [current.ca.certPem, current.caBundle ?? ''] : [];
  return { ca, serving, caBundle: caBundle([ca.certPem, ...previous], o.now), caRotated, servingRotated };
}

/** The CA certificates still valid at `now`, each once, newest first, as one PEM bundle. */
export function caBundle(pems: string[], now: Date): string {
  const seen = new Set<string>();
  const certs: X509Certificate[] = [];
  for (const p of pems) {
    for (const one of p.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      let c: X509Certificate;
      try { c = new X509Certificate(one); } catch { continue; }
      if (seen.has(c.fingerprint256) || Date.parse(c.validTo) <= now.getTime()) continue;
      seen.add(c.fingerprint256);
      certs.push(c);
    }
  }
  return certs.sort((a, b) => Date.parse(b.validTo) - Date.parse(a.validTo)).map((c) => c.toString().trim()).join('\n') + (certs.length ? '\n' : '');
}

interface WebhookEntry { name: string; clientConfig?: { caBundle?: string; [k: string]: unknown }; [k: string]: unknown }
export interface MutatingWebhookConfigurationLike { metadata: { name: string; [k: string]: unknown }; webhooks?: WebhookEntry[] }

/** Same certificates, whatever the PEM line breaks or order. */
function sameCerts(aPem: string, bPem: string): boolean {
  const fp = (p: string) => [...(p.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [])]
    .map((c) => { try { return new X509Certificate(c).fingerprint256; } catch { return 'invalid'; } }).sort().join(',');
  return fp(aPem) === fp(bPem);
}

/**
 * The JSON Patch that brings every webhook of the configuration (the chart's, found by name) to `bundle`,
 * or [] when each already carries those certificates. A webhook without clientConfig is the chart's
 * mistake, not ours to invent: it is left alone. `test` ops make the write fail if someone changed the
 * list in between (the next look recomputes).
 */
export function caBundlePatch(config: MutatingWebhookConfigurationLike, bundle: string): { op: 'test' | 'add'; path: string; value: unknown }[] {
  const want = Buffer.from(bundle).toString('base64');
  const ops: { op: 'test' | 'add'; path: string; value: unknown }[] = [];
  (config.webhooks ?? []).forEach((w, i) => {
    if (!w.clientConfig) return;
    const have = w.clientConfig.caBundle ? Buffer.from(w.clientConfig.caBundle, 'base64').toString() : '';
    if (have && sameCerts(have, bundle)) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name }, { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: want });
  });
  return ops;
}

// ---- the Secret the pair is kept in (release namespace), so every replica serves the same certificate ----

/** Label value (app.kubernetes.io/component) of that Secret; the chart's write policy admits it in the release namespace only. */
export const WEBHOOK_CERT_COMPONENT = 'webhook-certificate';
export const CERT_SECRET_KEYS = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key', bundle: 'ca-bundle.crt' } as const;

/** Secret `data` (base64 values) for the pair and the bundle last published. */
export function certSecretData(c: WebhookCerts): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    [CERT_SECRET_KEYS.caCert]: b64(c.ca.certPem), [CERT_SECRET_KEYS.caKey]: b64(c.ca.keyPem),
    [CERT_SECRET_KEYS.cert]: b64(c.serving.certPem), [CERT_SECRET_KEYS.key]: b64(c.serving.keyPem),
    ...(c.caBundle ? { [CERT_SECRET_KEYS.bundle]: b64(c.caBundle) } : {}),
  };
}

/** The pair back from Secret `data`, or undefined when a key is missing (planRotation then mints anew). */
export function certsFromSecret(data: Record<string, string> | undefined): WebhookCerts | undefined {
  const get = (k: string): string | undefined => (data?.[k] ? Buffer.from(data[k], 'base64').toString() : undefined);
  const [caCert, caKey, cert, key] = [get(CERT_SECRET_KEYS.caCert), get(CERT_SECRET_KEYS.caKey), get(CERT_SECRET_KEYS.cert), get(CERT_SECRET_KEYS.key)];
  if (!caCert || !caKey || !cert || !key) return undefined;
  const bundle = get(CERT_SECRET_KEYS.bundle);
  return { ca: { certPem: caCert, keyPem: caKey }, serving: { certPem: cert, keyPem: key }, ...(bundle ? { caBundle: bundle } : {}) };
}
