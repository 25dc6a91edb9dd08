// Standard Webhooks (https://www.standardwebhooks.com), the one implementation: the connector signs with
// it, the receiver's `verify: {provider: standard-webhooks}` and `hookbridge echo` check with it, and the
// tests use it. Checked both ways against the official `standardwebhooks` npm package
// (test/abuse/signing.test.ts).
//
// A secret is base64 key bytes, with or without the `whsec_` prefix: the prefix only says what it is, as
// in the official libraries (they strip it and base64-decode the rest). Whitespace around a secret (a
// file or Secret value ending, or starting, with a newline) is not part of it, and the signer and every
// verifier key a secret through secretKey alone. A secret that is not canonical base64 (standard
// alphabet, padded) is refused with SigningSecretError instead of being used some other way. So a signer
// and a verifier can never disagree about the key. Errors never carry the secret.
//
// Signature: `v1,<base64 HMAC-SHA256(key, "${webhook-id}.${webhook-timestamp}.${raw body}")>`; during a
// rotation `webhook-signature` holds several, space-separated, and a verifier accepts any.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export class SigningSecretError extends Error {
  constructor(message: string) { super(message); this.name = 'SigningSecretError'; }
}

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The HMAC key of a secret (`whsec_<base64>` or `<base64>`); throws SigningSecretError when it has none. */
export function secretKey(secret: string): Buffer {
  const trimmed = secret.trim();
  const b64 = (trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed).trim();
  if (b64.length === 0) throw new SigningSecretError('signing secret is empty');
  if (!CANONICAL_BASE64.test(b64)) {
    throw new SigningSecretError(`signing secret is not base64 (a Standard Webhooks secret is ${SECRET_PREFIX}<base64 of the key bytes>)`);
  }
  return Buffer.from(b64, 'base64');
}

/**
 * A new signing secret: `whsec_` + 24 random bytes in base64. The operator mints one for a Subscription
 * without a secretRef; `hookbridge dev` and `hookbridge listen` mint one when none is given.
 */
export const mintSigningSecret = (): string => `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;

// Keys of the current secrets (one or two during a rotation), so a delivery does not decode again.
const keys = new Map<string, Buffer>();
/** secretKey, memoised. */
export function cachedKey(secret: string): Buffer {
  let k = keys.get(secret);
  if (!k) {
    k = secretKey(secret);
    if (keys.size >= 16) keys.clear();
    keys.set(secret, k);
  }
  return k;
}

/** One `v1,<base64>` signature. */
export function sign(key: Buffer, id: string, timestampSec: number | string, body: Buffer): string {
  return `v1,${mac(key, id, String(timestampSec), body).toString('base64')}`;
}

function mac(key: Buffer, id: string, ts: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${ts}.`, 'utf8').update(body).digest();
}

/** The three headers for one request, one signature per key. */
export function signHeaders(keyList: readonly Buffer[], id: string, timestampSec: number, body: Buffer): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': keyList.map((k) => sign(k, id, timestampSec, body)).join(' '),
  };
}

export type Headers = Record<string, string | string[] | undefined>;
const one = (h: Headers, name: string): string | undefined => { const v = h[name]; return Array.isArray(v) ? v[0] : v; };

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether `headers` (lower-case names) carry a valid signature by one of `keyList`. Constant-time over every
 * (key, presented signature) pair, no early exit. `toleranceSec` 0 disables the timestamp age check.
 */
export function verify(keyList: readonly Buffer[], headers: Headers, body: Buffer, nowMs: number, toleranceSec = 300): Verdict {
  const id = one(headers, 'webhook-id');
  const ts = one(headers, 'webhook-timestamp');
  const sig = one(headers, 'webhook-signature');
  if (!id || !ts || !sig) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (!/^[0-9]{1,12}$/.test(ts)) return { ok: false, reason: 'bad webhook-timestamp' };
  if (toleranceSec > 0 && Math.abs(nowMs / 1000 - Number(ts)) > toleranceSec) return { ok: false, reason: 'webhook-timestamp outside the tolerance' };
  const presented: Buffer[] = [];
  for (const part of sig.split(' ')) if (part.startsWith('v1,')) presented.push(Buffer.from(part.slice(3), 'base64'));
  if (presented.length === 0) return { ok: false, reason: 'no v1 signature' };
  let ok = false;
  for (const k of keyList) {
    const expected = mac(k, id, ts, body);
    for (const p of presented) if (p.length === expected.length && timingSafeEqual(p, expected)) ok = true;
  }
  return ok ? { ok: true } : { ok: false, reason: 'no signature matched' };
}

/** verify() with secrets; a secret without a key (SigningSecretError) matches nothing. */
export function verifyWithSecrets(secrets: readonly string[], headers: Headers, body: Buffer, nowMs: number, toleranceSec = 300): Verdict {
  const usable: Buffer[] = [];
  for (const s of secrets) { try { usable.push(cachedKey(s)); } catch { /* matches nothing */ } }
  if (usable.length === 0) return { ok: false, reason: 'no usable signing secret' };
  return verify(usable, headers, body, nowMs, toleranceSec);
}
