// Dead letters of one channel (SPEC §4): list with filters, peek one, redrive and purge — one message, by
// filter or by time range, across the channel's subscriptions or one of them (`subscription=ns/name`).
import type { Request, Response } from 'express';
import type { DeadLetter, DeadLetterFilter, QueueRef } from '../buffer/types.ts';
import type { RuntimeChannel } from '../channels.ts';
import { ReceiverError, sendError } from '../errors.ts';
import type { AdminDeps } from './channels.ts';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

type Params = Record<string, unknown>;

export function time(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : /^[0-9]+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
  if (!Number.isFinite(n)) throw new ReceiverError('bad_request', `${name} must be an ISO time or epoch milliseconds.`);
  return n;
}

/** A filter from query or body; `requireOne` refuses an empty filter unless `all` is true (redrive, purge). */
export function filterFrom(p: Params, requireOne: boolean): DeadLetterFilter {
  const f: DeadLetterFilter = {};
  const ids = typeof p.ids === 'string' ? p.ids.split(',').filter(Boolean) : p.ids;
  if (ids !== undefined) {
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) throw new ReceiverError('bad_request', 'ids must be a list of message ids.');
    f.ids = ids;
  }
  const since = time(p.since, 'since');
  const until = time(p.until, 'until');
  if (since !== undefined) f.since = since;
  if (until !== undefined) f.until = until;
  if (typeof p.reason === 'string' && p.reason) f.reason = p.reason;
  if (typeof p.eventType === 'string' && p.eventType) f.eventType = p.eventType;
  if (requireOne && Object.keys(f).length === 0 && p.all !== true && p.all !== 'true') {
    throw new ReceiverError('bad_request', 'Give ids, since, until, reason or eventType, or "all": true.');
  }
  return f;
}

function queuesOf(ch: RuntimeChannel, p: Params): QueueRef[] {
  if (p.subscription === undefined) return ch.subscriptions.map((s) => s.queue);
  const sub = ch.byKey.get(String(p.subscription)) ?? ch.byKey.get(`${ch.ref.namespace}/${String(p.subscription)}`);
  if (!sub) throw new ReceiverError('not_found', `Subscription ${String(p.subscription)} is not bound to this channel.`);
  return [sub.queue];
}

export function toJson(d: DeadLetter): Record<string, unknown> {
  const m = d.message;
  return {
    id: d.id,
    subscription: `${d.queue.subscription.namespace}/${d.queue.subscription.name}`,
    reason: d.reason,
    deadLetteredAt: new Date(d.deadLetteredAt).toISOString(),
    attempts: d.attempts,
    ...(d.lastResult && { lastResult: d.lastResult }),
    message: {
      receivedAt: new Date(m.receivedAt).toISOString(),
      ...(m.eventType !== undefined && { eventType: m.eventType }),
      ...(m.contentType !== undefined && { contentType: m.contentType }),
      headers: m.headers,
      ...(m.traceparent !== undefined && { traceparent: m.traceparent }),
      size: m.body.length,
      body: m.body.toString('base64'),
    },
  };
}

type Handler = (req: Request, res: Response) => Promise<void>;

function withChannel(deps: AdminDeps, fn: (ch: RuntimeChannel, req: Request, res: Response) => Promise<void>): Handler {
  return async (req, res) => {
    const ch = deps.snapshot().get(req.params.ns as string, req.params.name as string);
    if (!ch) { sendError(res, 'channel_not_found'); return; }
    try {
      await fn(ch, req, res);
    } catch (err) {
      if (err instanceof ReceiverError) sendError(res, err.code, err.message);
      else sendError(res, 'buffer_error', `The buffer failed: ${(err as Error).message}`);
    }
  };
}

export function listDeadLetters(deps: AdminDeps): Handler {
  return withChannel(deps, async (ch, req, res) => {
    const q = req.query as Params;
    const limit = Math.min(MAX_LIMIT, Math.max(1, Number.parseInt(String(q.limit ?? DEFAULT_LIMIT), 10) || DEFAULT_LIMIT));
    const filter = filterFrom(q, false);
    const lists = await Promise.all(queuesOf(ch, q).map((queue) => deps.buffer.listDeadLetters(queue, { limit, filter })));
    const all = lists.flat().sort((a, b) => a.deadLetteredAt - b.deadLetteredAt).slice(0, limit);
    res.json({ deadLetters: all.map(toJson) });
  });
}

export function peekDeadLetter(deps: AdminDeps): Handler {
  return withChannel(deps, async (ch, req, res) => {
    const filter = { ids: [req.params.id as string] };
    const lists = await Promise.all(queuesOf(ch, req.query as Params).map((queue) => deps.buffer.listDeadLetters(queue, { limit: 1, filter })));
    const found = lists.flat()[0];
    if (!found) { sendError(res, 'dead_letter_not_found'); return; }
    res.json(toJson(found));
  });
}

/** POST .../redrive and POST|DELETE .../purge; `bulk` runs once per queue and answers the sum. */
export function bulk(deps: AdminDeps, op: 'redrive' | 'purge', from: 'body' | 'query'): Handler {
  return withChannel(deps, async (ch, req, res) => {
    const p = (from === 'body' ? (typeof req.body === 'object' && req.body !== null ? req.body : {}) : req.query) as Params;
    const filter = filterFrom(p, true);
    const counts = await Promise.all(queuesOf(ch, p).map((queue) =>
      op === 'redrive' ? deps.buffer.redriveDeadLetters(queue, filter) : deps.buffer.purgeDeadLetters(queue, filter)));
    const n = counts.reduce((a, b) => a + b, 0);
    res.json(op === 'redrive' ? { redriven: n } : { purged: n });
  });
}

/** POST .../dead-letters/{id}/redrive and DELETE .../dead-letters/{id}: one message, every subscription unless one is named. */
export function one(deps: AdminDeps, op: 'redrive' | 'purge'): Handler {
  return withChannel(deps, async (ch, req, res) => {
    const filter = { ids: [req.params.id as string] };
    const counts = await Promise.all(queuesOf(ch, req.query as Params).map((queue) =>
      op === 'redrive' ? deps.buffer.redriveDeadLetters(queue, filter) : deps.buffer.purgeDeadLetters(queue, filter)));
    const n = counts.reduce((a, b) => a + b, 0);
    if (n === 0) { sendError(res, 'dead_letter_not_found'); return; }
    res.json(op === 'redrive' ? { redriven: n } : { purged: n });
  });
}
