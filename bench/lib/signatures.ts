// Signature checks used by the bench destination: Standard Webhooks for Hookbridge and `X-Signature:
// sha256=<hex>` for the BullMQ baseline (as in seed 004), both the shared implementations (shared/signing.ts). A delivery that fails its check
// is counted as an error, so neither system gets credit for unsigned or mis-signed messages.
import { timingSafeEqual } from 'node:crypto';
import { hmacSignature } from '../../shared/signing.ts';
import { secretKey, sign, verify } from '../../shared/standard-webhooks.ts';

type Headers = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export const hmacHex = (secret: string, body: Buffer | string): string => hmacSignature(secret, Buffer.from(body)).slice('sha256='.length);

export function verifyHmacHeader(secret: string, headers: Headers, body: Buffer): boolean {
  const got = one(headers['x-signature']);
  if (!got?.startsWith('sha256=')) return false;
  const want = Buffer.from(hmacSignature(secret, body));
  const have = Buffer.from(got);
  return have.length === want.length && timingSafeEqual(have, want);
}

/** Standard Webhooks (shared/standard-webhooks.ts): any `v1,<base64>` in webhook-signature matches. */
export const signStandard = (secret: string, id: string, timestamp: number, body: Buffer): string => sign(secretKey(secret), id, timestamp, body);
export const verifyStandard = (secret: string, headers: Headers, body: Buffer): boolean =>
  verify([secretKey(secret)], headers, body, 0, 0).ok;
