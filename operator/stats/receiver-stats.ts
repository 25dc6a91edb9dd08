// Channel statistics from the receivers' admin API (receiver/admin/channels.ts), polled at a modest
// interval by one loop, not by each reconcile: one `GET /admin/webhook-connect/channels` per receiver per
// round (falling back to `GET .../channels/{ns}/{name}` per channel when the list fails, so one broken
// channel does not blind the rest). Only channels whose figures changed are re-reconciled.
//
// Every receiver pod knows only its own streams and deliveries, so the operator asks each one (the ready
// endpoints of the receiver Service, receiver-endpoints.ts; the one --receiver-url outside a cluster) and
// combines the answers (mergeFigures): connected connectors, in-flight messages and what each receiver
// holds are summed; the broker's counts (ready and delayed messages, dead letters) are the same from
// every pod and taken once (the max, so the figure does not depend on which pod answered first);
// lastDeliveryAt and destinationGoneAt are the latest any pod saw. A pod that does not answer one round
// counts with its last answer while it is still listed as ready.
import fs from 'node:fs';
import type { Logger } from '../../shared/logger.ts';
import { keyOf, type ObjectKey } from '../../shared/config.ts';
import { deepEqual } from '../../shared/kube/compare.ts';

export interface Figures {
  backlog: number; inFlight: number; connected: number; deadLettered: number; lastDeliveryAt?: string;
  /** Of backlog, what the answering receiver holds itself (messages_held); absent from older receivers. */
  held?: number;
  /** Per subscription only: the last 410 Gone from its destination (the receiver's `destination_gone_at`). */
  destinationGoneAt?: string;
}
export interface ChannelStats extends Figures { subscriptions: Record<string, Figures> }
export type StatsView =
  | { state: 'disabled' }
  /** No poll round has finished since the operator started: the receivers have not been heard yet. */
  | { state: 'pending' }
  | { state: 'unreachable'; error: string }
  | { state: 'missing' }
  | { state: 'bufferError'; error: string }
  | { state: 'ok'; stats: ChannelStats };

export interface StatsOptions {
  /** The receiver to ask when there is no `endpoints` resolver (a plain URL, e.g. outside a cluster). */
  receiverUrl?: string;
  /**
   * Base URLs of every ready receiver (receiver-endpoints.ts); undefined while not known yet. When given,
   * it replaces receiverUrl.
   */
  endpoints?: () => string[] | undefined;
  /** How the endpoints were found, for the message when there are none (e.g. `Service hb/hookbridge-receiver`). */
  endpointsSource?: string;
  adminTokenFile?: string;
  intervalMs: number;
  logger: Logger;
  /** The channels to ask about (from the informer cache). */
  channels: () => ObjectKey[];
  fetch?: typeof fetch;
}

type Raw = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function parseFigures(raw: unknown): Figures {
  const r = (raw ?? {}) as Raw;
  const s = (r.stats ?? r) as Raw;
  const last = s.last_delivery_at ?? r.last_delivery_at ?? s.lastDeliveryAt;
  const gone = s.destination_gone_at;
  return {
    backlog: num(s.messages_queued),
    ...(typeof s.messages_held === 'number' ? { held: num(s.messages_held) } : {}),
    inFlight: num(s.messages_in_flight),
    connected: num(s.connected_clients),
    deadLettered: num(s.dead_lettered),
    ...(typeof last === 'string' ? { lastDeliveryAt: last } : {}),
    ...(typeof gone === 'string' ? { destinationGoneAt: gone } : {}),
  };
}

/** One channel's answer → stats (channel totals plus per-subscription figures keyed `ns/name`). */
export function parseChannelStats(raw: unknown): ChannelStats {
  const r = (raw ?? {}) as Raw;
  const subsRaw = Array.isArray(r.subscriptions) ? (r.subscriptions as Raw[]) : [];
  const subscriptions: Record<string, Figures> = {};
  for (const s of subsRaw) {
    if (typeof s.name === 'string') subscriptions[`${typeof s.namespace === 'string' ? s.namespace : ''}/${s.name}`] = parseFigures(s);
  }
  return { ...parseFigures(r), subscriptions };
}

const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : Date.parse(b) > Date.parse(a) ? b : a;

/** Several receivers' figures for one channel or subscription, as one (see the top of this file). */
export function mergeFigures(list: readonly Figures[]): Figures {
  if (list.length === 1) return list[0];
  const sum = (f: (x: Figures) => number) => list.reduce((n, x) => n + f(x), 0);
  const max = (f: (x: Figures) => number) => list.reduce((n, x) => Math.max(n, f(x)), 0);
  const split = list.every((x) => x.held !== undefined);
  let lastDeliveryAt: string | undefined;
  let destinationGoneAt: string | undefined;
  for (const x of list) {
    lastDeliveryAt = later(lastDeliveryAt, x.lastDeliveryAt);
    destinationGoneAt = later(destinationGoneAt, x.destinationGoneAt);
  }
  return {
    // Without the split (an older receiver), the largest answer: never double-counts the broker's part.
    backlog: split ? max((x) => x.backlog - (x.held ?? 0)) + sum((x) => x.held ?? 0) : max((x) => x.backlog),
    inFlight: sum((x) => x.inFlight),
    connected: sum((x) => x.connected),
    deadLettered: max((x) => x.deadLettered),
    ...(split ? { held: sum((x) => x.held ?? 0) } : {}),
    ...(lastDeliveryAt !== undefined ? { lastDeliveryAt } : {}),
    ...(destinationGoneAt !== undefined ? { destinationGoneAt } : {}),
  };
}

/** One channel as several receivers see it: a buffer error anywhere is reported; else the figures of those that serve it. */
export function mergeViews(views: readonly StatsView[]): StatsView {
  const broken = views.find((v) => v.state === 'bufferError');
  if (broken) return broken;
  const ok = views.flatMap((v) => (v.state === 'ok' ? [v.stats] : []));
  if (ok.length === 0) return { state: 'missing' };
  const keys = [...new Set(ok.flatMap((s) => Object.keys(s.subscriptions)))].sort();
  const subscriptions: Record<string, Figures> = {};
  for (const k of keys) subscriptions[k] = mergeFigures(ok.flatMap((s) => (s.subscriptions[k] ? [s.subscriptions[k]] : [])));
  return { state: 'ok', stats: { ...mergeFigures(ok), subscriptions } };
}

export class ReceiverStats {
  readonly #o: StatsOptions;
  readonly #views = new Map<string, StatsView>();
  /** Each receiver's last answer, by base URL (dropped when it is no longer listed). */
  readonly #answers = new Map<string, Map<string, StatsView>>();
  readonly #silent = new Set<string>();
  readonly #handlers: ((channel: string) => void)[] = [];
  #unreachable?: string;
  #polled = false;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;

  constructor(opts: StatsOptions) { this.#o = opts; }

  /**
   * Called with a channel's key whenever its figures (or the receivers' reachability) changed. Registered
   * after construction, as informers' handlers are: the controllers it feeds need the stats to exist.
   */
  onChange(handler: (channel: string) => void): void { this.#handlers.push(handler); }

  #changed(channel: string): void { for (const h of this.#handlers) h(channel); }

  get enabled(): boolean { return Boolean(this.#o.receiverUrl) || this.#o.endpoints !== undefined; }

  /** A poll round has finished since start (views are the receivers' word, not 'missing' for want of asking). */
  get ready(): boolean { return this.#polled || !this.enabled; }

  view(channel: ObjectKey): StatsView {
    if (!this.enabled) return { state: 'disabled' };
    if (!this.#polled) return { state: 'pending' };
    if (this.#unreachable !== undefined) return { state: 'unreachable', error: this.#unreachable };
    return this.#views.get(keyOf(channel)) ?? { state: 'missing' };
  }

  start(): void {
    if (!this.enabled) return;
    const loop = () => {
      this.#running = this.pollOnce().catch((err: unknown) => this.#o.logger.warn({ err: String(err) }, 'stats poll failed'));
      void this.#running.then(() => { if (this.#timer !== undefined) this.#timer = setTimeout(loop, this.#o.intervalMs).unref(); });
    };
    this.#timer = setTimeout(loop, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One round: fetch every known channel's stats from every receiver; report the channels whose view changed. */
  async pollOnce(): Promise<void> {
    const channels = this.#o.channels();
    let next: Map<string, StatsView>;
    let failure: string | undefined;
    try {
      next = await this.#fetchEverywhere(channels);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      next = new Map();
    }
    this.#polled = true;
    const wasUnreachable = this.#unreachable;
    this.#unreachable = failure;
    if (failure !== undefined) {
      if (wasUnreachable === undefined) {
        this.#o.logger.warn({ err: failure }, 'receiver admin API unreachable');
        for (const ch of channels) this.#changed(keyOf(ch));
      }
      return;
    }
    const previous = new Map(this.#views);
    this.#views.clear();
    for (const [k, v] of next) this.#views.set(k, v);
    for (const ch of channels) {
      const k = keyOf(ch);
      if (wasUnreachable !== undefined || !deepEqual(previous.get(k), next.get(k))) this.#changed(k);
    }
  }

  /** Asks every receiver; throws when none could be asked. */
  async #fetchEverywhere(channels: ObjectKey[]): Promise<Map<string, StatsView>> {
    const urls = this.#o.endpoints ? this.#o.endpoints() : [this.#o.receiverUrl as string];
    if (urls === undefined) throw new Error(`receiver endpoints not known yet (${this.#o.endpointsSource ?? 'endpoints'})`);
    if (urls.length === 0) throw new Error(`no ready receiver endpoints (${this.#o.endpointsSource ?? 'endpoints'})`);
    for (const u of [...this.#answers.keys()]) if (!urls.includes(u)) this.#answers.delete(u);
    const results = await Promise.allSettled(urls.map((u) => this.#fetchAll(u, channels)));
    let answered = 0;
    let firstError: string | undefined;
    results.forEach((r, i) => {
      const u = urls[i];
      if (r.status === 'fulfilled') {
        answered++;
        this.#answers.set(u, r.value);
        if (this.#silent.delete(u) && urls.length > 1) this.#o.logger.info({ receiver: u }, 'receiver admin API answers again');
        return;
      }
      const err = r.reason instanceof Error ? r.reason.message : String(r.reason);
      firstError ??= urls.length > 1 ? `${u}: ${err}` : err;
      if (!this.#silent.has(u) && urls.length > 1) this.#o.logger.warn({ receiver: u, err }, 'a receiver did not answer; counting its last figures while it is listed');
      this.#silent.add(u);
    });
    if (answered === 0) throw new Error(firstError ?? 'no receiver answered');
    const merged = new Map<string, StatsView>();
    for (const ch of channels) {
      const k = keyOf(ch);
      merged.set(k, mergeViews(urls.flatMap((u) => { const v = this.#answers.get(u)?.get(k); return v ? [v] : []; })));
    }
    return merged;
  }

  async #get(base: string, path: string): Promise<Response> {
    const token = this.#o.adminTokenFile ? fs.readFileSync(this.#o.adminTokenFile, 'utf8').trim() : undefined;
    return (this.#o.fetch ?? fetch)(`${base.replace(/\/$/, '')}/admin/webhook-connect/channels${path}`, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(5_000),
    });
  }

  /** All channels' views from one receiver: from the list when it answers, else channel by channel. Throws when it cannot be asked. */
  async #fetchAll(base: string, channels: ObjectKey[]): Promise<Map<string, StatsView>> {
    const views = new Map<string, StatsView>(channels.map((c) => [keyOf(c), { state: 'missing' }]));
    const res = await this.#get(base, '');
    if (res.ok) {
      const body = (await res.json()) as { channels?: Raw[] };
      for (const item of body.channels ?? []) {
        const k = `${String(item.namespace)}/${String(item.name)}`;
        if (views.has(k)) views.set(k, { state: 'ok', stats: parseChannelStats(item) });
      }
      return views;
    }
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) throw new Error(`receiver admin API refused the admin token (${res.status})`);
    if (res.status !== 503) throw new Error(`GET /admin/webhook-connect/channels: ${res.status}`);
    const queue = [...channels];
    const worker = async () => {
      for (let ch = queue.shift(); ch; ch = queue.shift()) views.set(keyOf(ch), await this.#fetchOne(base, ch));
    };
    await Promise.all(Array.from({ length: Math.min(8, channels.length) }, worker));
    return views;
  }

  async #fetchOne(base: string, ch: ObjectKey): Promise<StatsView> {
    const res = await this.#get(base, `/${encodeURIComponent(ch.namespace)}/${encodeURIComponent(ch.name)}`);
    if (res.ok) return { state: 'ok', stats: parseChannelStats(await res.json()) };
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    if (res.status === 404) return { state: 'missing' };
    if (res.status === 503) return { state: 'bufferError', error: body.message ?? body.error ?? 'buffer error' };
    throw new Error(`GET /admin/webhook-connect/channels/${keyOf(ch)}: ${res.status}`);
  }
}
