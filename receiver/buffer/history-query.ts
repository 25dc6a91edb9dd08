// Listing a channel's messages from the history index (GET /admin/webhook-connect/channels/{ns}/{name}/messages):
// filtered by subscription, state, event type and receive time, newest first, in pages. The cursor is the
// (receivedAt, id) of the last message of a page, so a page never repeats or skips a message when newer
// ones arrive between requests. Only the candidates that pass the cheap checks are folded.
import { foldHistory } from './history.ts';
import type { MessageEvent, MessageHistory, MessageState } from './types.ts';

export interface MessageQuery {
  channel: string; // ns/name
  subscription?: string; // ns/name
  /** The state of `subscription`, or of any routed subscription when none is named. */
  state?: MessageState;
  /** Exact, or a glob with `*` (as in a Subscription's eventTypes). */
  eventType?: string;
  since?: number; // epoch ms, inclusive, on receivedAt
  until?: number; // epoch ms, exclusive
  limit: number;
  cursor?: string;
}

export interface MessagePage { messages: MessageHistory[]; next?: string }

export class CursorError extends Error {}

interface Position { t: number; id: string }

export const encodeCursor = (p: Position): string => Buffer.from(JSON.stringify([p.t, p.id])).toString('base64url');

export function decodeCursor(cursor: string): Position {
  try {
    const [t, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof t === 'number' && typeof id === 'string') return { t, id };
  } catch { /* below */ }
  throw new CursorError('cursor is not one this API handed out');
}

const globRe = (glob: string): RegExp => new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** Newest first: larger receivedAt, then larger id. */
const before = (a: Position, b: Position): boolean => a.t > b.t || (a.t === b.t && a.id > b.id);

export function queryHistory(entries: Iterable<[string, readonly MessageEvent[]]>, q: MessageQuery, horizon: number): MessagePage {
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  const type = q.eventType === undefined ? undefined : q.eventType.includes('*') ? globRe(q.eventType) : undefined;
  const candidates: { pos: Position; events: readonly MessageEvent[] }[] = [];
  for (const [id, events] of entries) {
    const r = events.find((e) => e.kind === 'received');
    if (!r || r.channel !== q.channel || r.at < horizon) continue;
    if (q.since !== undefined && r.at < q.since) continue;
    if (q.until !== undefined && r.at >= q.until) continue;
    if (q.subscription !== undefined && !r.subscriptions?.includes(q.subscription)) continue;
    if (q.eventType !== undefined && !(type ? type.test(r.eventType ?? '') : r.eventType === q.eventType)) continue;
    const pos = { t: r.at, id };
    if (after && !before(after, pos)) continue;
    candidates.push({ pos, events });
  }
  candidates.sort((a, b) => (before(a.pos, b.pos) ? -1 : 1));
  const messages: MessageHistory[] = [];
  for (const c of candidates) {
    const h = foldHistory(c.pos.id, c.events);
    if (q.state !== undefined) {
      const states = q.subscription !== undefined ? [h.subscriptions[q.subscription]?.state] : Object.values(h.subscriptions).map((s) => s.state);
      if (!states.includes(q.state)) continue;
    }
    if (messages.length === q.limit) return { messages, next: encodeCursor({ t: messages[messages.length - 1].receivedAt, id: messages[messages.length - 1].id }) };
    messages.push(h);
  }
  return { messages };
}
