/**
 * Text summaries of V8 CPU profiles (`node --cpu-prof`), so that where the time goes can be committed
 * and compared in review (issue 12 asks for top frames as text, never the binaries).
 *
 * Self time only: a frame's self time is what the CPU spent in that function itself, which is what a
 * change to that function can win back. Time is taken from the profile's own sample intervals
 * (`timeDeltas`), not from `hitCount`, because V8 samples at an uneven rate under load.
 */

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Row {
  key: string;
  selfUs: number;
  share: number;
}

export interface Summary {
  totalUs: number;
  frames: Row[];
  modules: Row[];
}

/**
 * The bucket a frame's time is charged to: an npm package by name, a file of this project by its path
 * from the repository root, a Node built-in (`node:internal/...` → `node:<first segment>`), or one of
 * V8's pseudo-frames ("(garbage collector)", "(idle)", "(program)").
 */
export function moduleOf(frame: CallFrame, root = ''): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    return parts[0] === 'internal' && parts.length > 1 ? `node:${parts[1]}` : `node:${parts[0]}`;
  }
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (root !== '' && path.startsWith(root)) path = path.slice(root.length).replace(/^\//, '');
  return path;
}

/** `name file:line` for a frame, with the line 1-based as editors show it. */
export function frameKey(frame: CallFrame, root = ''): string {
  const where = frame.url === '' ? '' : ` ${moduleOf(frame, root)}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** Sums self time per frame and per module over one or more profiles (e.g. every process of a run). */
export function summarize(profiles: CpuProfile[], root = ''): Summary {
  const frames = new Map<string, number>();
  const modules = new Map<string, number>();
  let totalUs = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      // timeDeltas[i] is the gap before sample i, so the time a sample stands for is the gap after it.
      const us = deltas[i + 1] ?? 0;
      if (us <= 0) continue;
      const frame = byId.get(samples[i]!);
      if (frame === undefined) continue;
      totalUs += us;
      const fk = frameKey(frame, root);
      frames.set(fk, (frames.get(fk) ?? 0) + us);
      const mk = moduleOf(frame, root);
      modules.set(mk, (modules.get(mk) ?? 0) + us);
    }
  }
  const rows = (m: Map<string, number>): Row[] =>
    [...m]
      .map(([key, selfUs]) => ({ key, selfUs, share: totalUs === 0 ? 0 : selfUs / totalUs }))
      .sort((a, b) => b.selfUs - a.selfUs || a.key.localeCompare(b.key));
  return { totalUs, frames: rows(frames), modules: rows(modules) };
}

/** The summary as a fixed-width text block: the top `top` modules and frames by self time. */
export function formatSummary(title: string, s: Summary, top = 25): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [`${title} — ${(s.totalUs / 1e6).toFixed(2)} s of samples`, '', 'self time by module'];
  for (const r of s.modules.slice(0, top)) lines.push(`${pct(r.share)} ${ms(r.selfUs)}  ${r.key}`);
  lines.push('', 'self time by function');
  for (const r of s.frames.slice(0, top)) lines.push(`${pct(r.share)} ${ms(r.selfUs)}  ${r.key}`);
  return lines.join('\n');
}
