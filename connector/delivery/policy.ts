// Outcome classes for one delivery attempt (SPEC §6), as a pure function of what the destination said.
// Retries wait in the broker: a retry outcome carries the delay the connector asks for in its nack.
//
// 3xx: redirects are never followed. We treat them as a *retryable* failure (as Svix does), not dead:
// a redirect almost always means the Subscription's URL is stale (http→https, a moved path), and the
// fix is a Subscription change — retries are delivered with the *current* configuration, so messages
// parked on the retry schedule reach the corrected URL instead of piling up in the dead-letter queue.
// After maxAttempts they are dead-lettered like any other failure.

export type Outcome =
  | { kind: 'success' }
  | { kind: 'retry'; delayMs: number; reason: string }
  | { kind: 'dead'; reason: string; gone: boolean };

export interface AttemptObservation {
  /** HTTP status, absent for network errors and timeouts. */
  status?: number;
  /** Raw Retry-After header value, if any. */
  retryAfter?: string;
  /** Network error or timeout description when there is no status. */
  error?: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  retryScheduleMs: number[];
  jitter: number;
}

/** Longest delay a Retry-After may ask for; beyond this we cap (messages have a TTL anyway). */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(v);
  if (Number.isNaN(at) || !/[a-z]/i.test(v)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/** Delay before the retry that follows attempt n (1-based): schedule[min(n-1, len-1)] ± jitter. */
export function scheduledDelay(attempt: number, p: RetryPolicy, random: () => number = Math.random): number {
  const schedule = p.retryScheduleMs.length > 0 ? p.retryScheduleMs : [5000];
  const base = schedule[Math.min(Math.max(attempt, 1) - 1, schedule.length - 1)];
  const spread = base * p.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}

const describe = (o: AttemptObservation): string =>
  o.status !== undefined ? `HTTP ${o.status}` : (o.error ?? 'network error');

/** Classify one attempt. `attempt` is the message's attempt number (1 = first). */
export function classify(o: AttemptObservation, attempt: number, p: RetryPolicy, now: number, random: () => number = Math.random): Outcome {
  const s = o.status;
  if (s !== undefined && s >= 200 && s < 300) return { kind: 'success' };
  if (s === 410) return { kind: 'dead', reason: 'gone: destination answered 410 Gone', gone: true };
  const retryable = s === undefined || s === 408 || s === 429 || (s >= 500 && s < 600) || (s >= 300 && s < 400) || s < 200;
  if (!retryable) return { kind: 'dead', reason: `${describe(o)}: not retryable`, gone: false };
  const why = s !== undefined && s >= 300 && s < 400 ? `${describe(o)}: redirect not followed` : describe(o);
  if (attempt >= p.maxAttempts) {
    return { kind: 'dead', reason: `max attempts reached (${attempt}/${p.maxAttempts}): ${why}`, gone: false };
  }
  const hinted = parseRetryAfter(o.retryAfter, now);
  const delayMs = hinted ?? scheduledDelay(attempt, p, random);
  return { kind: 'retry', delayMs, reason: why };
}

/** For the circuit breaker: did the destination work? 2xx and permanent 4xx (it answered sensibly) count as healthy. */
export const destinationHealthy = (status: number | undefined): boolean =>
  status !== undefined && ((status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 408 && status !== 429));
