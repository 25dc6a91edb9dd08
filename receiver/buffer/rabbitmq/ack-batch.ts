// Acks of one event-loop turn, sent as few frames as the channel's delivery tags allow. On a quorum queue
// every basic.ack becomes a Raft command (a log entry the broker writes and applies), so one ack with
// `multiple` for a run of settled deliveries costs the broker one command instead of one per message.
// `multiple` acknowledges every unsettled tag up to the one given, so it covers only tags below the lowest
// delivery still outstanding (handed out, read ahead or being parked); the rest go one by one. Nothing
// waits longer than the rest of the current turn.
import type { Channel, ConsumeMessage } from 'amqplib';

/** How to send a turn's acks: one `multiple` ack up to `upTo` (when it covers two or more), then `singles`. */
export function planAcks(pending: readonly number[], lowestOutstanding: number): { upTo?: number; singles: number[] } {
  const sorted = [...pending].sort((a, b) => a - b);
  let run = 0;
  while (run < sorted.length && sorted[run] < lowestOutstanding) run++;
  if (run < 2) return { singles: sorted };
  return { upTo: sorted[run - 1], singles: sorted.slice(run) };
}

export class AckBatch {
  readonly #ch: Channel;
  readonly #lowestOutstanding: () => number;
  #pending: ConsumeMessage[] = [];

  /** `lowestOutstanding`: the smallest delivery tag on this channel that is not settled (Infinity when none). */
  constructor(ch: Channel, lowestOutstanding: () => number) {
    this.#ch = ch;
    this.#lowestOutstanding = lowestOutstanding;
  }

  /** Acks `msg` by the end of this turn. */
  add(msg: ConsumeMessage): void {
    if (this.#pending.push(msg) === 1) setImmediate(() => this.flush());
  }

  /** Sends what is pending now. A channel that closed meanwhile took the messages back: nothing is sent. */
  flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const byTag = new Map(batch.map((m) => [m.fields.deliveryTag, m]));
    const plan = planAcks([...byTag.keys()], this.#lowestOutstanding());
    try {
      if (plan.upTo !== undefined) this.#ch.ack(byTag.get(plan.upTo) as ConsumeMessage, true);
      for (const tag of plan.singles) this.#ch.ack(byTag.get(tag) as ConsumeMessage);
    } catch { /* the channel closed: the broker returns every unsettled message, and redelivers it */ }
  }
}
