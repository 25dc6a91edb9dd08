// Outbound signatures (SPEC §6). Standard Webhooks: `webhook-id`, `webhook-timestamp` (unix seconds) and
// `webhook-signature: v1,<base64 HMAC-SHA256("id.timestamp.body")>`, one space-separated entry per secret
// while a secret rotates. hmac-sha256 (seed 001): `X-Signature: sha256=<hex HMAC-SHA256(body)>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SigningScheme = 'standard-webhooks' | 'hmac-sha256';

const WHSEC = 'whsec_';

/** Key bytes of a Standard Webhooks secret: `whsec_<base64>` decoded; anything else is used as UTF-8. */
export function standardKey(secret: string): Buffer {
  if (secret.startsWith(WHSEC)) return Buffer.from(secret.slice(WHSEC.length), 'base64');
  return Buffer.from(secret, 'utf8');
}

// Decoded keys of the (one or two, during a rotation) current secrets, so a delivery does not decode again.
const keys = new Map<string, Buffer>();
function keyOf(secret: string): Buffer {
  let k = keys.get(secret);
  if (!k) {
    if (keys.size >= 16) keys.clear();
    k = standardKey(secret);
    keys.set(secret, k);
  }
  return k;
}

export function standardSignature(secret: string, id: string, timestampSec: number, body: Buffer): string {
  const mac = createHmac('sha256', keyOf(secret));
  mac.update(`${id}.${timestampSec}.`, 'utf8');
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** The seed-001 scheme: the secret string itself (UTF-8) keys an HMAC over the raw body. */
export function hmacSignature(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

/** Signature headers for one request. Empty secrets are skipped; no secrets → no signature headers. */
export function signatureHeaders(
  scheme: SigningScheme, secrets: readonly string[], id: string, timestampSec: number, body: Buffer,
): Record<string, string> {
  const usable = secrets.map((s) => s.trim()).filter((s) => s.length > 0);
  if (scheme === 'hmac-sha256') {
    const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestampSec) };
    if (usable.length > 0) headers['x-signature'] = usable.map((s) => hmacSignature(s, body)).join(', ');
    return headers;
  }
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestampSec) };
  if (usable.length > 0) headers['webhook-signature'] = usable.map((s) => standardSignature(s, id, timestampSec, body)).join(' ');
  return headers;
}

/** Verify Standard Webhooks headers against any of `secrets` (used by `hookbridge echo`). */
export function verifyStandard(
  secrets: readonly string[], headers: Record<string, string | string[] | undefined>, body: Buffer,
  now: number, toleranceSec = 300,
): { ok: boolean; reason: string } {
  const one = (n: string) => { const v = headers[n]; return Array.isArray(v) ? v[0] : v; };
  const id = one('webhook-id');
  const ts = one('webhook-timestamp');
  const sig = one('webhook-signature');
  if (!id || !ts || !sig) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  const t = Number(ts);
  if (!Number.isInteger(t)) return { ok: false, reason: 'bad webhook-timestamp' };
  if (Math.abs(now / 1000 - t) > toleranceSec) return { ok: false, reason: 'timestamp outside tolerance' };
  const presented = sig.split(' ').filter((p) => p.startsWith('v1,')).map((p) => Buffer.from(p.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = Buffer.from(standardSignature(secret, id, t, body).slice(3), 'base64');
    if (presented.some((p) => p.length === expected.length && timingSafeEqual(p, expected))) return { ok: true, reason: 'valid' };
  }
  return { ok: false, reason: 'no signature matched' };
}
