// How long a stream waits before it reconnects, on top of the shared exponential backoff. Auth failures
// (4001 revoked/invalid token, 4004 not bound) wait longer — the fix is a rotated token or a binding,
// which takes a while — but are still retried forever; a token file change skips the wait altogether.
// A receiver that answered but could not serve (its broker is reconnecting) is retried within a short cap,
// so deliveries resume seconds after the broker is back rather than up to a full cap later.
import type { Backoff, BackoffOptions } from '../../shared/process/backoff.ts';

export interface ReconnectBackoffOptions extends Pick<BackoffOptions, 'baseMs' | 'capMs'> {
  /** Added to the delay of the slow (auth) class (default 5 s). */
  slowFloorMs?: number;
  /** Ceiling of the soon class (default 5 s). */
  soonCapMs?: number;
}

export interface DelayClass { slow: boolean; soon: boolean }

/**
 * The next delay, counting this failure on `backoff`: full jitter up to the ceiling; the soon class caps at
 * soonCapMs; the slow class gets the floor on top, but never more than twice the cap.
 */
export function reconnectDelay(backoff: Backoff, o: ReconnectBackoffOptions, { slow, soon }: DelayClass): number {
  const delay = backoff.next({ capMs: soon ? o.soonCapMs ?? 5_000 : undefined, floorMs: slow ? o.slowFloorMs ?? 5_000 : 0 });
  return slow ? Math.min((o.capMs ?? 30_000) * 2, delay) : delay;
}
