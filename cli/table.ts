// Plain text tables for a terminal, kubectl style: upper-case headers, columns padded to the widest cell,
// two spaces between columns, the last column not padded.
export function table(headers: string[], rows: (string | number | undefined | null)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined || c === null || c === '' ? '-' : String(c).replace(/\s+/g, ' '))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

/** `2026-12-03T20:01:02.345Z` → `2026-12-03 20:01:02` (UTC, as the API gives it). */
export const shortTime = (iso: unknown): string => (typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-');
