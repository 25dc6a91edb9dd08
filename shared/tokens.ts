// Channel tokens: minted with 256 random bits, stored only as sha256 hashes on the receiver side,
// compared in constant time. A token string never reaches a log line, event, status or metric.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TOKEN_PREFIX } from './api/v1alpha1.ts';
import type { TokenHash } from './config.ts';

export const mintToken = (): string => TOKEN_PREFIX + randomBytes(32).toString('base64url');

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time check of a presented token against the accepted hashes at time `now`. */
export function tokenAccepted(presented: string, accepted: readonly TokenHash[], now: number): boolean {
  const h = Buffer.from(hashToken(presented), 'hex');
  let ok = false;
  for (const t of accepted) {
    const candidate = Buffer.from(t.sha256, 'hex');
    const live = t.notAfter === undefined || Date.parse(t.notAfter) > now;
    // Compare every candidate (no early exit) so timing does not reveal which one matched.
    if (candidate.length === h.length && timingSafeEqual(candidate, h) && live) ok = true;
  }
  return ok;
}
