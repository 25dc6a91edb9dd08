// Message history: a bounded, time-limited index of MessageEvents folded into MessageHistory on read.
// Both backends keep one; RabbitMQ also appends every event to a durable stream and rebuilds the index
// from it on connect, so history survives restarts for the retention window.
import { queryHistory, type MessagePage, type MessageQuery } from './history-query.ts';
import type { MessageEvent, MessageHistory } from './types.ts';

export const DEFAULT_HISTORY_RETENTION_MS = 7 * 24 * 3600_000;
/**
 * The index's memory budget. It is what bounds the receiver's heap under sustained traffic, so it is set
 * in bytes (a message with a long retry history costs more than one delivered at once) and the chart
 * derives the receiver's memory limit from it. 24 MiB holds about 56,000 delivered messages (received
 * and one attempt): as many as 64 MiB did before a message cost 412 B of heap instead of 1,230.
 */
export const DEFAULT_HISTORY_MAX_BYTES = 24 * 1024 * 1024;

export interface HistoryOptions {
  retentionMs?: number;
  /** Memory budget of the index, estimated by `eventBytes` (default DEFAULT_HISTORY_MAX_BYTES). */
  maxBytes?: number;
  /** An extra cap on the number of messages (default: none; the byte budget bounds the index). */
  maxMessages?: number;
  clock?: () => number;
}

/**
 * Heap an indexed message costs beyond its events and id (Map entry, event array), and each event's fixed
 * part (object, number fields), in bytes. Measured on Node 24 (`node --expose-gc`, heapUsed over 20,000
 * messages, ids from newMessageId, strings as JSON.parse makes them): received only 250 B a message
 * (estimate 267), received + delivered attempt 412 (444), received + 20 attempts 4,364 (4,187).
 */
const MESSAGE_OVERHEAD = 80;
const EVENT_OVERHEAD = 100;

/** The estimated heap cost of one event: its fixed part plus the strings it carries (one byte a char). */
export function eventBytes(e: MessageEvent): number {
  let n = EVENT_OVERHEAD + (e.channel?.length ?? 0) + (e.eventType?.length ?? 0) + (e.subscription?.length ?? 0) + (e.reason?.length ?? 0);
  if (e.subscriptions) for (const s of e.subscriptions) n += 16 + s.length;
  if (e.result) n += 64 + (e.result.error?.length ?? 0);
  return n;
}

/** Distinct strings (and subscription lists) the index shares before it starts its table again. */
const INTERNED_MAX = 4096;
const INTERNED_MAX_LENGTH = 256;

/**
 * Where in a message's events an `in_flight` state of `e`'s subscription stands that `e` supersedes (it is
 * not later than `e`, and `e` sets the state), or -1.
 */
function supersededAt(list: readonly MessageEvent[], e: MessageEvent): number {
  for (let i = list.length - 1; i >= 0; i--) {
    const p = list[i];
    if (p.kind === 'state' && p.state === 'in_flight' && p.subscription === e.subscription && p.at <= e.at) return i;
  }
  return -1;
}

export class HistoryIndex {
  readonly #events = new Map<string, MessageEvent[]>(); // insertion order = first seen
  readonly #retentionMs: number;
  readonly #maxBytes: number;
  readonly #maxMessages: number;
  readonly #clock: () => number;
  readonly #strings = new Map<string, string>();
  readonly #lists = new Map<string, string[]>();
  #bytes = 0;

  constructor(opts: HistoryOptions = {}) {
    this.#retentionMs = opts.retentionMs ?? DEFAULT_HISTORY_RETENTION_MS;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_HISTORY_MAX_BYTES;
    this.#maxMessages = opts.maxMessages ?? Infinity;
    this.#clock = opts.clock ?? Date.now;
  }

  get size(): number { return this.#events.size; }

  /** The index's estimated heap use (eventBytes), which prune keeps within maxBytes. */
  get bytes(): number { return this.#bytes; }

  /**
   * Indexes one event. Returns the event it superseded, if any: an `in_flight` state says nothing once a
   * later event of the same subscription sets its state, so that later event takes its place (the folded
   * history is the same; the index holds one event less per delivered message).
   *
   * The event is kept as given, with its strings shared: its id becomes the message's first event's id and
   * its channel, subscription, event type and routed subscriptions the index's interned copies, so a
   * message costs one copy of each (bench/RESULTS.md, issue 12: 1,230 -> about 400 B a message).
   */
  add(event: MessageEvent): MessageEvent | undefined {
    this.#share(event);
    const list = this.#events.get(event.id);
    let replaced: MessageEvent | undefined;
    if (list) {
      event.id = list[0].id;
      const i = event.subscription !== undefined && event.state !== undefined ? supersededAt(list, event) : -1;
      if (i >= 0) {
        replaced = list[i];
        list[i] = event;
        this.#bytes += eventBytes(event) - eventBytes(replaced);
      } else {
        // concat: an array of exactly n+1 (push would grow the store to 17 slots, 136 B more per message).
        this.#events.set(event.id, list.concat(event));
        this.#bytes += eventBytes(event);
      }
    } else {
      this.#events.set(event.id, [event]);
      this.#bytes += eventBytes(event) + MESSAGE_OVERHEAD + event.id.length;
    }
    // Pruned in steps of 1%: deleting one entry per add from the front of a Map makes every prune walk
    // the holes left by the earlier deletes (13 us per add at 100k entries, 1 us this way).
    if (this.#bytes > this.#maxBytes * 1.01 || this.#events.size > this.#maxMessages * 1.01) this.prune();
    return replaced;
  }

  /** Points the event's repeated strings at one shared copy each (a bounded table: event types are the sender's). */
  #share(e: MessageEvent): void {
    if (e.channel !== undefined) e.channel = this.#intern(e.channel);
    if (e.subscription !== undefined) e.subscription = this.#intern(e.subscription);
    if (e.eventType !== undefined) e.eventType = this.#intern(e.eventType);
    if (e.subscriptions !== undefined) {
      const key = e.subscriptions.join('\n');
      let shared = this.#lists.get(key);
      if (shared === undefined) {
        if (this.#lists.size >= INTERNED_MAX) this.#lists.clear();
        shared = e.subscriptions.map((s) => this.#intern(s));
        this.#lists.set(key, shared);
      }
      e.subscriptions = shared;
    }
  }

  #intern(s: string): string {
    const shared = this.#strings.get(s);
    if (shared !== undefined) return shared;
    if (s.length > INTERNED_MAX_LENGTH) return s;
    if (this.#strings.size >= INTERNED_MAX) this.#strings.clear(); // what the index holds keeps its copies
    this.#strings.set(s, s);
    return s;
  }

  /** Drops messages first seen before the retention window, then the oldest beyond the budget. */
  prune(): void {
    const horizon = this.#clock() - this.#retentionMs;
    for (const [id, list] of this.#events) {
      if (this.#bytes <= this.#maxBytes && this.#events.size <= this.#maxMessages && list[0].at >= horizon) break;
      this.#events.delete(id);
      this.#bytes -= MESSAGE_OVERHEAD + id.length;
      for (const e of list) this.#bytes -= eventBytes(e);
    }
  }

  get(id: string): MessageHistory | undefined {
    const list = this.#events.get(id);
    if (!list || list[0].at < this.#clock() - this.#retentionMs) return undefined;
    return foldHistory(id, list);
  }

  /** A channel's messages, filtered, newest first, a page at a time (history-query.ts). */
  list(q: MessageQuery): MessagePage { return queryHistory(this.#events, q, this.#clock() - this.#retentionMs); }
}

/** A redrive event; a `state` event with reason `redriven` is how streams written before `kind: 'redrive'` recorded one. */
const isRedrive = (e: MessageEvent): boolean => e.kind === 'redrive' || (e.kind === 'state' && e.reason === 'redriven');

/**
 * Folds a message's events (any order of arrival; applied by time) into its history. A redrive starts the
 * attempt numbers again at 1, so attempts are told apart by (redrives before them, attempt number): the
 * attempts before a redrive are all kept, and the redrive itself is listed.
 */
export function foldHistory(id: string, events: readonly MessageEvent[]): MessageHistory {
  const h: MessageHistory = { id, channel: '', receivedAt: 0, subscriptions: {} };
  const sub = (name: string): MessageHistory['subscriptions'][string] =>
    (h.subscriptions[name] ??= { state: 'pending', attempts: [], redrives: [] });
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    if (e.kind === 'received') {
      h.channel = e.channel ?? h.channel;
      h.receivedAt = e.at;
      if (e.eventType !== undefined) h.eventType = e.eventType;
      for (const s of e.subscriptions ?? []) sub(s);
      continue;
    }
    if (!e.subscription) continue;
    const s = sub(e.subscription);
    if (isRedrive(e)) s.redrives.push({ at: e.at });
    if (e.kind === 'attempt') {
      // One entry per attempt number since the last redrive, so an attempt recorded twice shows once.
      const redrive = s.redrives.length;
      const since = s.attempts.filter((a) => (a.redrive ?? 0) === redrive).length;
      const attempt = { at: e.at, attempt: e.attempt ?? since + 1, ...(redrive > 0 && { redrive }), ...(e.result && { result: e.result }) };
      const i = s.attempts.findIndex((a) => a.attempt === attempt.attempt && (a.redrive ?? 0) === redrive);
      if (i >= 0) s.attempts[i] = attempt.result || !s.attempts[i].result ? attempt : s.attempts[i];
      else s.attempts.push(attempt);
    }
    if (e.state) {
      s.state = e.state;
      if (e.reason !== undefined) s.reason = e.reason;
      else delete s.reason;
    }
  }
  return h;
}
