// The admin API's guard: `Authorization: Bearer <adminToken>`, compared in constant time (both sides hashed
// to a fixed length first). Without a configured admin token the whole admin API answers 404.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../errors.ts';
import { clientAddress, type FailureLimiter } from '../ratelimit.ts';
import { bearerToken } from '../stream/auth.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function adminGuard(opts: { adminToken?: string; limiter: FailureLimiter; trustProxy: boolean }): (req: Request, res: Response, next: NextFunction) => void {
  const expected = opts.adminToken ? digest(opts.adminToken) : undefined;
  return (req, res, next) => {
    if (!expected) { sendError(res, 'not_found', 'The admin API is disabled (no admin token configured).'); return; }
    const address = clientAddress(req, opts.trustProxy);
    if (opts.limiter.blocked(address)) { sendError(res, 'rate_limited'); return; }
    const presented = bearerToken(req.headers);
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      opts.limiter.fail(address);
      sendError(res, 'unauthorized', 'A valid admin bearer token is required.', { 'www-authenticate': 'Bearer' });
      return;
    }
    next();
  };
}
