// Structural comparisons that decide whether a write is needed at all, so an idle operator writes nothing.

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep equality ignoring key order and keys whose value is undefined. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Lists whose order and extra members (added by others) do not matter. */
const SET_LISTS = new Set(['ownerReferences', 'finalizers']);

/**
 * Whether every field of `desired` is present with the same value in `live`. The apiserver adds
 * defaults and others' fields to live objects; those do not make a difference. Lists must match
 * member by member (same length), except set-like metadata lists.
 */
export function isSubset(desired: unknown, live: unknown, key = ''): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return false;
    if (SET_LISTS.has(key)) return desired.every((d) => live.some((l) => isSubset(d, l)));
    return desired.length === live.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (isObj(desired)) {
    if (!isObj(live)) return false;
    return Object.entries(desired).every(([k, v]) => isSubset(v, live[k], k));
  }
  return desired === live;
}

/**
 * An apply is needed when the object is missing or a field we own differs. apiVersion and kind are not
 * compared: items of a LIST response carry neither.
 */
export function needsApply(live: unknown, desired: unknown): boolean {
  if (live === undefined) return true;
  const { apiVersion: _v, kind: _k, ...rest } = desired as Record<string, unknown>;
  return !isSubset(rest, live);
}
