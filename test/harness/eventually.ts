// The one way a test waits for the world to change: poll a probe until it answers, within a bounded time,
// and say what was awaited (and the probe's last error) when it gives up. Tests wait on the condition they
// mean, never a fixed sleep: a sleep is too short on a loaded machine and too long everywhere else.

export interface EventuallyOptions {
  /** Give up after this long (default 5 s). */
  timeoutMs?: number;
  /** Pause between probes (default 20 ms). */
  intervalMs?: number;
  /** What is awaited, for the error when it does not happen (a function: built only then, e.g. with log tails). */
  message?: string | (() => string);
  /** Checked each round: a string ends the wait at once with that reason (e.g. a process died). */
  abort?: () => string | undefined;
}

/** A probe's answer that means "not yet". */
export type NotYet = undefined | null | false;

const describe = (m: EventuallyOptions['message']): string => (typeof m === 'function' ? m() : m) ?? 'condition';

const isAnswer = <T>(v: T | NotYet): v is T => v !== undefined && v !== null && v !== false;

/**
 * Calls `probe` until it returns something other than undefined, null or false, and returns that. A probe
 * that throws has not answered yet either (so an assertion can be the probe: end it with `return true`);
 * its last error goes into the timeout's message.
 */
export async function eventually<T>(probe: () => T | NotYet | Promise<T | NotYet>, o: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const v = await probe();
      if (isAnswer(v)) return v;
    } catch (err) { last = err; }
    const aborted = o.abort?.();
    if (aborted) throw new Error(`${describe(o.message)}: ${aborted}`, { cause: last });
    if (Date.now() > deadline) {
      const why = last === undefined ? '' : `: ${last instanceof Error ? last.message : String(last)}`;
      throw new Error(`${describe(o.message)} not reached within ${timeoutMs} ms${why}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 20));
  }
}

/** `promise`, or a rejection naming `what` after `ms` (for a wait on an event rather than a probe). */
export async function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  try { return await Promise.race([promise, timeout]); } finally { clearTimeout(timer); }
}
