// The flag layer every subcommand shares. node:util.parseArgs splits the command line (`--name value`,
// `--name=value`, `-f value`, grouped short booleans, positionals); on top of it this adds what parseArgs
// does not do: typed values (number, boolean, list), repeated flags collected into lists, every flag's
// fallback to HOOKBRIDGE_<NAME> in the environment, usage errors that name the flag as it was typed, and
// the --help text. parseArgs runs non-strict so that these errors are ours and so that a string flag takes
// the next argument whatever it looks like (`--port -1`); `--` is refused as an unknown flag, as before.
// What parseArgs adds: the POSIX short forms `-fVALUE` and grouped booleans (`-hx` is -h -x).
// What it drops: a long flag with one dash (`-port 80`), which only worked by accident.
import { parseArgs } from 'node:util';

export interface FlagSpec {
  [name: string]: { type: 'string' | 'number' | 'boolean' | 'list'; default?: string | number | boolean | string[]; short?: string; help: string };
}
export type FlagValues<S extends FlagSpec> = {
  [K in keyof S]: S[K]['type'] extends 'number' ? number : S[K]['type'] extends 'boolean' ? boolean : S[K]['type'] extends 'list' ? string[] : string;
};

export class UsageError extends Error {}

export const envName = (flag: string): string => `HOOKBRIDGE_${flag.replace(/-/g, '_').toUpperCase()}`;

type ArgsOptions = Record<string, { type: 'string' | 'boolean'; multiple: true; short?: string }>;

/** The spec as parseArgs options: every flag may repeat (lists collect, the others keep the last). */
function argsOptions(spec: FlagSpec): ArgsOptions {
  const out: ArgsOptions = {};
  for (const [name, s] of Object.entries(spec)) {
    out[name] = { type: s.type === 'boolean' ? 'boolean' : 'string', multiple: true, ...(s.short && { short: s.short }) };
  }
  return out;
}

/** Each flag's values as typed on the command line, in order; booleans without a value are 'true'. */
function commandLine(spec: FlagSpec, argv: string[]): { raw: Record<string, string[]>; positional: string[] } {
  const { tokens } = parseArgs({ args: argv, options: argsOptions(spec), strict: false, allowPositionals: true, tokens: true });
  const raw: Record<string, string[]> = {};
  const positional: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') { positional.push(t.value); continue; }
    if (t.kind === 'option-terminator') throw new UsageError(`unknown flag ${argv[t.index]}`);
    const s = Object.hasOwn(spec, t.name) ? spec[t.name] : undefined;
    if (!s) throw new UsageError(`unknown flag ${argv[t.index]}`);
    const value = shortInline(t.rawName, t.value, t.inlineValue) ?? (s.type === 'boolean' ? 'true' : undefined);
    if (value === undefined) throw new UsageError(`flag --${t.name} needs a value`);
    (raw[t.name] ??= []).push(value);
  }
  return { raw, positional };
}

/** `-f=x` meant x before parseArgs (which reads it as "=x", the POSIX `-fVALUE`); it still does. */
function shortInline(rawName: string, value: string | undefined, inline: boolean | undefined): string | undefined {
  return inline && !rawName.startsWith('--') && value?.startsWith('=') ? value.slice(1) : value;
}

function typed(name: string, type: FlagSpec[string]['type'], values: string[]): string | number | boolean | string[] {
  const last = values[values.length - 1];
  switch (type) {
    case 'list': return values;
    case 'boolean': return last !== 'false' && last !== '0';
    case 'number': {
      const n = Number(last);
      if (!Number.isFinite(n)) throw new UsageError(`flag --${name} needs a number, got ${JSON.stringify(last)}`);
      return n;
    }
    default: return last;
  }
}

export function parseFlags<S extends FlagSpec>(spec: S, argv: string[], env: NodeJS.ProcessEnv = process.env): FlagValues<S> & { _: string[] } {
  const { raw, positional } = commandLine(spec, argv);
  const out: Record<string, unknown> = { _: positional };
  for (const [name, s] of Object.entries(spec)) {
    const envValue = env[envName(name)];
    const values = raw[name] ?? (envValue !== undefined ? (s.type === 'list' ? envValue.split(',').filter(Boolean) : [envValue]) : undefined);
    out[name] = values === undefined ? (s.default ?? (s.type === 'list' ? [] : s.type === 'boolean' ? false : undefined)) : typed(name, s.type, values);
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
