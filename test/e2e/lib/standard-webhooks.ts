// An independent Standard Webhooks verifier (https://www.standardwebhooks.com), written from the spec and
// not from Hookbridge's signer: key = base64-decoded part after `whsec_`; signed content =
// `${webhook-id}.${webhook-timestamp}.${raw body}`; `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256>`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const one = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Throws with the reason when the request does not carry a valid signature by `secret`. */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: Buffer, nowMs = Date.now(), toleranceSec = 300): void {
  if (!secret.startsWith('whsec_')) throw new Error('signing secret is not a whsec_ secret');
  const id = one(headers, 'webhook-id');
  const timestamp = one(headers, 'webhook-timestamp');
  const signatures = one(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new Error('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d+$/.test(timestamp)) throw new Error(`bad webhook-timestamp ${timestamp}`);
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSec) throw new Error('webhook-timestamp outside the tolerance');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body])).digest();
  const ok = signatures.split(' ').some((entry) => {
    const [version, sig] = entry.split(',', 2);
    if (version !== 'v1' || !sig) return false;
    const got = Buffer.from(sig, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (!ok) throw new Error('no v1 signature matches');
}
