// Reading what a person or a scraper reads: kubectl's table output and the Prometheus text format.

/** One-row `kubectl get` table → column name → cell, cut at the header's column offsets (empty cells stay empty). */
export function columns(table: string): Record<string, string> {
  const [header, row] = table.trimEnd().split('\n');
  if (!header || !row) throw new Error(`expected a header and one row:\n${table}`);
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  return Object.fromEntries(starts.map((c, i) => [c.name, row.slice(c.at, starts[i + 1]?.at ?? row.length).trim()]));
}

/** Sum of every sample of `name` (over all label sets) in a Prometheus text exposition; 0 when absent. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
