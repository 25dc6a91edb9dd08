// Judging the ingest side of the fault-injection run: every answer other than 202 must be a clean
// refusal — 503 buffer_error/queue_full with a JSON body and Retry-After, or a connection error while
// the receiver process was down. Anything else (a 5xx without the JSON error, a 404 for a channel that
// exists, a hang, a connection error while the receiver was supposedly up) is a violation.
import type { Outcome } from './chaos-load.ts';

export interface IngestVerdict {
  accepted: Outcome[];
  /** Clean refusals by reason: `503 buffer_error`, `503 queue_full`, `receiver down: ECONNREFUSED`, ... */
  refused: Map<string, number>;
  violations: Outcome[];
  /** Longest time between two consecutive 202 answers. */
  maxAcceptGapMs: number;
}

const CLEAN_503 = new Set(['buffer_error', 'queue_full']);

export function judgeIngest(outcomes: Outcome[], receiverDown: { from: number; to: number }[]): IngestVerdict {
  const accepted: Outcome[] = [];
  const refused = new Map<string, number>();
  const violations: Outcome[] = [];
  const count = (reason: string): void => { refused.set(reason, (refused.get(reason) ?? 0) + 1); };
  const duringOutage = (o: Outcome): boolean => receiverDown.some((w) => o.startedAt <= w.to && o.endedAt >= w.from);
  for (const o of outcomes) {
    if (o.status === 202 && o.id) accepted.push(o);
    else if (o.status === 503 && o.error && CLEAN_503.has(o.error) && Number(o.retryAfter) > 0) count(`503 ${o.error}`);
    else if (o.network && o.network !== 'TimeoutError' && duringOutage(o)) count(`receiver down: ${o.network}`);
    else violations.push(o);
  }
  return { accepted, refused, violations, maxAcceptGapMs: maxGap(accepted.map((o) => o.endedAt).sort((a, b) => a - b)) };
}

/** The longest gap between consecutive times (e.g. deliveries at the destination). */
export function maxGap(times: number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}

export const describeOutcome = (o: Outcome): string =>
  `seq ${o.seq} at ${new Date(o.startedAt).toISOString()}: ${o.network ? `network ${o.network}` : `${o.status} ${o.error ?? JSON.stringify(o.text)} retry-after=${o.retryAfter ?? '-'}`}`;
