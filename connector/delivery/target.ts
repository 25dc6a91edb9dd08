// A destination URL split into what the hot path needs (origin for the pool and the guard's cache, path
// for the request), parsed once: a subscription delivers to one URL, so a small memo avoids a `new URL`
// per attempt in both the guard and the sender.
export interface Target { origin: string; path: string }

const MAX = 1000;
const memo = new Map<string, Target | null>();

/** The parsed destination, or undefined when `url` is not a URL. */
export function targetOf(url: string): Target | undefined {
  let t = memo.get(url);
  if (t === undefined) {
    const p = URL.parse(url);
    t = p ? { origin: p.origin, path: `${p.pathname}${p.search}` } : null;
    if (memo.size >= MAX) memo.clear();
    memo.set(url, t);
  }
  return t ?? undefined;
}
