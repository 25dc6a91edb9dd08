// Independent signature checks used by the bench destination: Standard Webhooks for Hookbridge and
// `X-Signature: sha256=<hex>` for the BullMQ baseline (as in seed 004). A delivery that fails its check
// is counted as an error, so neither system gets credit for unsigned or mis-signed messages.
import { createHmac, timingSafeEqual } from 'node:crypto';

type Headers = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function hmacHex(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function verifyHmacHeader(secret: string, headers: Headers, body: Buffer): boolean {
  const got = one(headers['x-signature']);
  if (!got?.startsWith('sha256=')) return false;
  const want = Buffer.from(`sha256=${hmacHex(secret, body)}`);
  const have = Buffer.from(got);
  return have.length === want.length && timingSafeEqual(have, want);
}

/** The whsec_ secret's key bytes (base64 after the prefix). */
export const standardKey = (secret: string): Buffer => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

export function signStandard(secret: string, id: string, timestamp: number, body: Buffer): string {
  const mac = createHmac('sha256', standardKey(secret)).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** Standard Webhooks: any `v1,<base64>` in webhook-signature matches HMAC(key, "id.timestamp.body"). */
export function verifyStandard(secret: string, headers: Headers, body: Buffer): boolean {
  const id = one(headers['webhook-id']);
  const ts = one(headers['webhook-timestamp']);
  const sigs = one(headers['webhook-signature']);
  if (!id || !ts || !sigs || !/^\d+$/.test(ts)) return false;
  const want = Buffer.from(signStandard(secret, id, Number(ts), body));
  return sigs.split(' ').some((s) => {
    const have = Buffer.from(s);
    return have.length === want.length && timingSafeEqual(have, want);
  });
}
