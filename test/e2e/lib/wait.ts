// Waiting on a condition by polling, with a bounded time and a reason when it gives up (never a fixed sleep).
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked each round: a string ends the wait at once with that reason (e.g. a process died). */
  abort?: () => string | undefined;
}

/** Polls `probe` until it returns something other than undefined/false; throws after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, o: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = '';
    } catch (err) { last = (err as Error).message; }
    const aborted = o.abort?.();
    if (aborted) throw new Error(`${what}: ${aborted}`);
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${o.timeoutMs ?? 60_000} ms${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 250));
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  try { return await Promise.race([promise, timeout]); } finally { clearTimeout(timer); }
}
