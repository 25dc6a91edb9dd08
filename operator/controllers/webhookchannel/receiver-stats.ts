// Channel statistics from the receiver's admin API (receiver/admin/channels.ts), polled at a modest
// interval by one loop, not by each reconcile: one `GET /admin/webhook-connect/channels` per round
// (falling back to `GET .../channels/{ns}/{name}` per channel when the list fails, so one broken
// channel does not blind the rest). Only channels whose figures changed are re-reconciled.
import fs from 'node:fs';
import type { Logger } from '../../../shared/logger.ts';
import { keyOf, type ObjectKey } from '../../../shared/config.ts';
import { deepEqual } from '../../runtime/compare.ts';

export interface Figures {
  backlog: number; inFlight: number; connected: number; deadLettered: number; lastDeliveryAt?: string;
  /** Per subscription only: the last 410 Gone from its destination (the receiver's `destination_gone_at`). */
  destinationGoneAt?: string;
}
export interface ChannelStats extends Figures { subscriptions: Record<string, Figures> }
export type StatsView =
  | { state: 'disabled' }
  | { state: 'unreachable'; error: string }
  | { state: 'missing' }
  | { state: 'bufferError'; error: string }
  | { state: 'ok'; stats: ChannelStats };

export interface StatsOptions {
  receiverUrl?: string;
  adminTokenFile?: string;
  intervalMs: number;
  logger: Logger;
  /** The channels to ask about (from the informer cache). */
  channels: () => ObjectKey[];
  onChange: (channel: string) => void;
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

export class ReceiverStats {
  private readonly o: StatsOptions;
  private readonly views = new Map<string, StatsView>();
  private unreachable?: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(opts: StatsOptions) { this.o = opts; }

  get enabled(): boolean { return Boolean(this.o.receiverUrl); }

  view(channel: ObjectKey): StatsView {
    if (!this.enabled) return { state: 'disabled' };
    if (this.unreachable !== undefined) return { state: 'unreachable', error: this.unreachable };
    return this.views.get(keyOf(channel)) ?? { state: 'missing' };
  }

  start(): void {
    if (!this.enabled) return;
    const loop = () => {
      this.running = this.pollOnce().catch((err: unknown) => this.o.logger.warn({ err: String(err) }, 'stats poll failed'));
      void this.running.then(() => { if (this.timer !== undefined) this.timer = setTimeout(loop, this.o.intervalMs).unref(); });
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: fetch every known channel's stats; report the channels whose view changed. */
  async pollOnce(): Promise<void> {
    const channels = this.o.channels();
    let next: Map<string, StatsView>;
    let failure: string | undefined;
    try {
      next = await this.fetchAll(channels);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      next = new Map();
    }
    const wasUnreachable = this.unreachable;
    this.unreachable = failure;
    if (failure !== undefined) {
      if (wasUnreachable === undefined) {
        this.o.logger.warn({ err: failure }, 'receiver admin API unreachable');
        for (const ch of channels) this.o.onChange(keyOf(ch));
      }
      return;
    }
    const previous = new Map(this.views);
    this.views.clear();
    for (const [k, v] of next) this.views.set(k, v);
    for (const ch of channels) {
      const k = keyOf(ch);
      if (wasUnreachable !== undefined || !deepEqual(previous.get(k), next.get(k))) this.o.onChange(k);
    }
  }

  private async get(path: string): Promise<Response> {
    const token = this.o.adminTokenFile ? fs.readFileSync(this.o.adminTokenFile, 'utf8').trim() : undefined;
    return (this.o.fetch ?? fetch)(`${this.o.receiverUrl?.replace(/\/$/, '')}/admin/webhook-connect/channels${path}`, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(5_000),
    });
  }

  /** All channels' views: from the list when it answers, else channel by channel. Throws when the receiver cannot be asked. */
  private async fetchAll(channels: ObjectKey[]): Promise<Map<string, StatsView>> {
    const views = new Map<string, StatsView>(channels.map((c) => [keyOf(c), { state: 'missing' }]));
    const res = await this.get('');
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
      for (let ch = queue.shift(); ch; ch = queue.shift()) views.set(keyOf(ch), await this.fetchOne(ch));
    };
    await Promise.all(Array.from({ length: Math.min(8, channels.length) }, worker));
    return views;
  }

  private async fetchOne(ch: ObjectKey): Promise<StatsView> {
    const res = await this.get(`/${encodeURIComponent(ch.namespace)}/${encodeURIComponent(ch.name)}`);
    if (res.ok) return { state: 'ok', stats: parseChannelStats(await res.json()) };
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    if (res.status === 404) return { state: 'missing' };
    if (res.status === 503) return { state: 'bufferError', error: body.message ?? body.error ?? 'buffer error' };
    throw new Error(`GET /admin/webhook-connect/channels/${keyOf(ch)}: ${res.status}`);
  }
}
