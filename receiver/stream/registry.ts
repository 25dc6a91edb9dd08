// Every open stream, by subscription: enforces maxConnections, finds the session holding a delivery for the
// SSE ack endpoint, re-checks sessions after a config change and closes them all on shutdown. It also keeps,
// in memory, what the admin API reports per subscription: the last delivery and the last 410 Gone.
import type { ChannelSnapshot } from '../channels.ts';
import type { StreamSession } from './session.ts';

export class SessionRegistry {
  readonly #bySub = new Map<string, Set<StreamSession>>();
  readonly #lastDelivery = new Map<string, number>();
  readonly #gone = new Map<string, { at: number; total: number }>();

  /** A connector acked a message for this subscription (epoch ms); kept in memory for the admin API. */
  delivered(subscriptionKey: string, at: number): void { this.#lastDelivery.set(subscriptionKey, at); }
  lastDeliveryAt(subscriptionKey: string): number | undefined { return this.#lastDelivery.get(subscriptionKey); }

  /** A connector dead-lettered a message because the destination answered 410 Gone (epoch ms). */
  destinationGone(subscriptionKey: string, at: number): void {
    const g = this.#gone.get(subscriptionKey);
    if (g) { g.at = Math.max(g.at, at); g.total++; } else this.#gone.set(subscriptionKey, { at, total: 1 });
  }
  /** The last 410 (epoch ms, undefined if none) and how many since this receiver started. */
  destinationGoneStats(subscriptionKey: string): { at: number | undefined; total: number } {
    const g = this.#gone.get(subscriptionKey);
    return { at: g?.at, total: g?.total ?? 0 };
  }

  count(subscriptionKey: string): number { return this.#bySub.get(subscriptionKey)?.size ?? 0; }

  sessions(subscriptionKey: string): ReadonlySet<StreamSession> { return this.#bySub.get(subscriptionKey) ?? new Set(); }

  get size(): number {
    let n = 0;
    for (const s of this.#bySub.values()) n += s.size;
    return n;
  }

  add(s: StreamSession): void {
    const key = s.subscription.key;
    let set = this.#bySub.get(key);
    if (!set) { set = new Set(); this.#bySub.set(key, set); }
    set.add(s);
    s.onEnd = () => {
      set.delete(s);
      if (set.size === 0 && this.#bySub.get(key) === set) this.#bySub.delete(key);
    };
  }

  /** After applyConfig: close streams whose channel, binding or token is gone; rebind the rest. */
  revalidate(snapshot: ChannelSnapshot, now: number): void {
    for (const s of this.#all()) s.revalidate(snapshot, now);
  }

  closeAll(code: number, reason: string): void {
    for (const s of this.#all()) s.close(code, reason);
  }

  #all(): StreamSession[] {
    const out: StreamSession[] = [];
    for (const set of this.#bySub.values()) out.push(...set);
    return out;
  }
}
