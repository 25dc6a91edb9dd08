// ordering: perKey — messages with the same key (from a header or a JSON pointer into the body) are
// delivered one at a time, in the order they arrived on the stream; different keys run in parallel.
// This orders deliveries within one connector's window; a retried message re-enters the queue later.
import type { EventTypeSource } from '../shared/api/v1alpha1.ts';
import type { MessageFrame } from '../shared/protocol.ts';

/** RFC 6901 pointer lookup. */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const step = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(step)];
    else if (cur && typeof cur === 'object' && Object.hasOwn(cur, step)) cur = (cur as Record<string, unknown>)[step];
    else return undefined;
  }
  return cur;
}

/** The ordering key of a message, or undefined (no key → no ordering constraint). */
export function orderingKey(m: MessageFrame, from: EventTypeSource | undefined): string | undefined {
  if (!from) return undefined;
  if ('header' in from) {
    const want = from.header.toLowerCase();
    const hit = Object.entries(m.headers).find(([k]) => k.toLowerCase() === want);
    return hit?.[1];
  }
  try {
    const v = jsonPointer(JSON.parse(Buffer.from(m.body, 'base64').toString('utf8')), from.jsonPointer);
    return v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return undefined;
  }
}

/** Runs tasks one at a time per key. */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string | undefined, task: () => Promise<T>): Promise<T> {
    if (key === undefined) return task();
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => { if (this.#tails.get(key) === tail) this.#tails.delete(key); });
    return next;
  }
}
