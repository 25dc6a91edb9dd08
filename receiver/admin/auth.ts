// The admin API's guard: `Authorization: Bearer <adminToken>`, compared in constant time (both sides hashed
// to a fixed length first). Without a configured admin token the whole admin API answers 404.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../errors.ts';
import { clientAddress, type TrustedProxies } from '../client-address.ts';
import type { FailureLimiter } from '../ratelimit.ts';
import { bearerToken } from '../stream/auth.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A valid admin token always passes; only failures are counted (per client) and, past the limit, answered 429. */
export function adminGuard(opts: { adminToken?: string; limiter: FailureLimiter; trusted: TrustedProxies }): (req: Request, res: Response, next: NextFunction) => void {
  const expected = opts.adminToken ? digest(opts.adminToken) : undefined;
  return (req, res, next) => {
    if (!expected) { sendError(res, 'not_found', 'The admin API is disabled (no admin token configured).'); return; }
    const presented = bearerToken(req.headers);
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      if (opts.limiter.judge('admin_token', '', clientAddress(req, opts.trusted)) === 'limited') { sendError(res, 'rate_limited', undefined, { connection: 'close' }); return; }
      sendError(res, 'unauthorized', 'A valid admin bearer token is required.', { 'www-authenticate': 'Bearer' });
      return;
    }
    next();
  };
}
