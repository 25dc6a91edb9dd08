// /admin/webhook-connect/* behind the admin bearer token.
import express, { type Router } from 'express';
import type { TrustedProxies } from '../client-address.ts';
import type { FailureLimiter } from '../ratelimit.ts';
import { adminGuard } from './auth.ts';
import { getChannel, listChannels, type AdminDeps } from './channels.ts';
import { bulk, listDeadLetters, one, peekDeadLetter } from './dead-letters.ts';
import { listMessages, messageHistory } from './messages.ts';

export const ADMIN_PREFIX = '/admin/webhook-connect';

export function adminRouter(deps: AdminDeps & { adminToken?: string; limiter: FailureLimiter; trusted: TrustedProxies }): Router {
  const r = express.Router();
  r.use(adminGuard(deps));
  r.use(express.json({ limit: '1mb' }));
  const dl = '/channels/:ns/:name/dead-letters';
  r.get('/channels', listChannels(deps));
  r.get('/channels/:ns/:name', getChannel(deps));
  r.get('/channels/:ns/:name/messages', listMessages(deps));
  r.get(dl, listDeadLetters(deps));
  r.post(`${dl}/redrive`, bulk(deps, 'redrive', 'body'));
  r.post(`${dl}/purge`, bulk(deps, 'purge', 'body'));
  r.delete(`${dl}/purge`, bulk(deps, 'purge', 'query'));
  r.delete(dl, bulk(deps, 'purge', 'query'));
  r.get(`${dl}/:id`, peekDeadLetter(deps));
  r.post(`${dl}/:id/redrive`, one(deps, 'redrive'));
  r.delete(`${dl}/:id`, one(deps, 'purge'));
  r.get('/messages/:id', messageHistory(deps));
  return r;
}
