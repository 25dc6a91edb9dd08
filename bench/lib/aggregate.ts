// Repeated rounds on a shared machine: the reported round is the median one by its key figure (so all
// figures shown come from one real run), with the key figure's range across rounds beside it.

/** The median element by `key` (the lower median for an even count); undefined for none. */
export function medianBy<T>(items: readonly T[], key: (t: T) => number): T | undefined {
  if (items.length === 0) return undefined;
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function rangeOf<T>(items: readonly T[], key: (t: T) => number): [number, number] | undefined {
  if (items.length === 0) return undefined;
  const values = items.map(key);
  return [Math.min(...values), Math.max(...values)];
}
