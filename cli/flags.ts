// Tiny flag parser shared by every subcommand: `--name value`, `--name=value`, `--flag` (boolean),
// repeated flags collect into arrays, and every flag falls back to HOOKBRIDGE_<NAME> in the environment.
export interface FlagSpec {
  [name: string]: { type: 'string' | 'number' | 'boolean' | 'list'; default?: string | number | boolean | string[]; short?: string; help: string };
}
export type FlagValues<S extends FlagSpec> = {
  [K in keyof S]: S[K]['type'] extends 'number' ? number : S[K]['type'] extends 'boolean' ? boolean : S[K]['type'] extends 'list' ? string[] : string;
};

export class UsageError extends Error {}

export const envName = (flag: string): string => `HOOKBRIDGE_${flag.replace(/-/g, '_').toUpperCase()}`;

export function parseFlags<S extends FlagSpec>(spec: S, argv: string[], env: NodeJS.ProcessEnv = process.env): FlagValues<S> & { _: string[] } {
  const raw: Record<string, string[]> = {};
  const positional: string[] = [];
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([n, s]) => [s.short as string, n]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') { positional.push(arg); continue; }
    const [flag, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2);
    const name = arg.startsWith('--') ? flag : (byShort.get(flag) ?? flag);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag ${arg}`);
    let value = inline;
    if (value === undefined) {
      if (s.type === 'boolean') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`flag --${name} needs a value`);
    }
    (raw[name] ??= []).push(value);
  }
  const out: Record<string, unknown> = { _: positional };
  for (const [name, s] of Object.entries(spec)) {
    const envValue = env[envName(name)];
    const values = raw[name] ?? (envValue !== undefined ? (s.type === 'list' ? envValue.split(',').filter(Boolean) : [envValue]) : undefined);
    if (values === undefined) { out[name] = s.default ?? (s.type === 'list' ? [] : s.type === 'boolean' ? false : undefined); continue; }
    const last = values[values.length - 1];
    switch (s.type) {
      case 'list': out[name] = values; break;
      case 'boolean': out[name] = last !== 'false' && last !== '0'; break;
      case 'number': {
        const n = Number(last);
        if (!Number.isFinite(n)) throw new UsageError(`flag --${name} needs a number, got ${JSON.stringify(last)}`);
        out[name] = n;
        break;
      }
      default: out[name] = last;
    }
  }
  return out as FlagValues<S> & { _: string[] };
}

export function usage(command: string, summary: string, spec: FlagSpec): string {
  const lines = Object.entries(spec).map(([n, s]) => {
    const def = s.default === undefined || (Array.isArray(s.default) && s.default.length === 0) ? '' : ` (default ${JSON.stringify(s.default)})`;
    return `  --${n}${s.short ? `, -${s.short}` : ''}  ${s.help}${def}  [$${envName(n)}]`;
  });
  return `hookbridge ${command} — ${summary}\n\nFlags:\n${lines.join('\n')}\n`;
}
