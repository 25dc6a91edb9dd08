// GET /admin/webhook-connect/messages/{id} (SPEC §4): a message's life — received, routed subscriptions,
// each attempt (time, status code, latency, error) and the state per subscription — with ISO times;
// and the listing of a channel's messages with each subscription's state, attempt count and last error.
import type { Request, Response } from 'express';
import { CursorError } from '../buffer/history-query.ts';
import type { MessageHistory, MessageState } from '../buffer/types.ts';
import { ReceiverError, sendError } from '../errors.ts';
import type { AdminDeps } from './channels.ts';
import { time } from './dead-letters.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

export function messageHistory(deps: AdminDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    let h;
    try {
      h = await deps.buffer.messageHistory(req.params.id as string);
    } catch (err) {
      sendError(res, 'buffer_error', `Reading history failed: ${(err as Error).message}`);
      return;
    }
    if (!h) { sendError(res, 'message_not_found'); return; }
    const subscriptions: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(h.subscriptions)) {
      subscriptions[name] = {
        state: s.state,
        ...(s.reason !== undefined && { reason: s.reason }),
        attempts: s.attempts.map((a) => ({ at: iso(a.at), attempt: a.attempt, ...(a.redrive !== undefined && { redrive: a.redrive }), ...a.result })),
        redrives: s.redrives.map((r) => ({ at: iso(r.at) })),
      };
    }
    res.json({
      id: h.id,
      channel: h.channel,
      receivedAt: iso(h.receivedAt),
      routed: Object.keys(h.subscriptions),
      subscriptions,
    });
  };
}

const STATES = ['pending', 'in_flight', 'retrying', 'delivered', 'dead_lettered', 'expired'] as const;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/** One subscription's row of a listed message: state, attempt count, and the last attempt's outcome. */
export function summarize(s: MessageHistory['subscriptions'][string]): Record<string, unknown> {
  // The latest by time: attempt numbers start again at 1 after a redrive.
  const last = s.attempts.reduce<(typeof s.attempts)[number] | undefined>((a, b) => (!a || b.at >= a.at ? b : a), undefined);
  const code = last?.result?.statusCode;
  const lastError = last?.result?.error ?? (code !== undefined && (code < 200 || code > 299) ? `HTTP ${code}` : undefined);
  return {
    state: s.state,
    attempts: s.attempts.length,
    ...(last && { lastAttemptAt: iso(last.at) }),
    ...(code !== undefined && { lastStatusCode: code }),
    ...(lastError !== undefined && { lastError }),
    ...(s.reason !== undefined && { reason: s.reason }),
  };
}

/**
 * GET /admin/webhook-connect/channels/{ns}/{name}/messages?subscription=&state=&eventType=&since=&until=&limit=&cursor=
 * A channel's messages from the history, newest first: `{messages, next}`; pass `next` back as `cursor`
 * for the following page (null on the last one).
 */
export function listMessages(deps: AdminDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const ch = deps.snapshot().get(req.params.ns as string, req.params.name as string);
    if (!ch) { sendError(res, 'channel_not_found'); return; }
    const p = req.query as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const state = str(p.state);
    if (state !== undefined && !(STATES as readonly string[]).includes(state)) { sendError(res, 'bad_request', `state must be one of ${STATES.join(', ')}.`); return; }
    const sub = str(p.subscription);
    const limit = p.limit === undefined ? DEFAULT_PAGE : Number(p.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) { sendError(res, 'bad_request', `limit must be a whole number from 1 to ${MAX_PAGE}.`); return; }
    let page;
    try {
      const since = time(p.since, 'since');
      const until = time(p.until, 'until');
      page = await deps.buffer.listMessages({
        channel: ch.key, limit,
        ...(sub !== undefined && { subscription: sub.includes('/') ? sub : `${ch.ref.namespace}/${sub}` }),
        ...(state !== undefined && { state: state as MessageState }),
        ...(str(p.eventType) !== undefined && { eventType: str(p.eventType) }),
        ...(since !== undefined && { since }),
        ...(until !== undefined && { until }),
        ...(str(p.cursor) !== undefined && { cursor: str(p.cursor) }),
      });
    } catch (err) {
      if (err instanceof ReceiverError) sendError(res, err.code, err.message);
      else if (err instanceof CursorError) sendError(res, 'bad_request', `${err.message}.`);
      else sendError(res, 'buffer_error', `Reading history failed: ${(err as Error).message}`);
      return;
    }
    res.json({
      messages: page.messages.map((h) => ({
        id: h.id,
        receivedAt: iso(h.receivedAt),
        eventType: h.eventType ?? null,
        subscriptions: Object.fromEntries(Object.entries(h.subscriptions).map(([k, s]) => [k, summarize(s)])),
      })),
      next: page.next ?? null,
    });
  };
}
