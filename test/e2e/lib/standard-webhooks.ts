// Standard Webhooks check for what arrived at a destination: the one implementation
// (shared/standard-webhooks.ts), which test/abuse/signing.test.ts holds against the official
// `standardwebhooks` package both ways. The operator generates `whsec_` secrets, so anything else is a bug here.
import type { IncomingHttpHeaders } from 'node:http';
import { SECRET_PREFIX, verifyWithSecrets } from '../../../shared/standard-webhooks.ts';

/** Throws with the reason when the request does not carry a valid signature by `secret`. */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: Buffer, nowMs = Date.now(), toleranceSec = 300): void {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('signing secret is not a whsec_ secret');
  const v = verifyWithSecrets([secret], headers, body, nowMs, toleranceSec);
  if (!v.ok) throw new Error(v.reason);
}
