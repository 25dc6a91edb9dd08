// Writes docs/reference.md from the two schemas users configure Hookbridge with: the CRDs
// (charts/hookbridge/crds/*.yaml, generated from the zod schemas by `make manifests`) and the chart's
// values.schema.json with the defaults from values.yaml. Run: node docs/gen-reference.ts [--check]
// (--check exits 1 when docs/reference.md is stale instead of writing it).
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..');
const CHART = path.join(ROOT, 'charts/hookbridge');
const OUT = path.join(ROOT, 'docs/reference.md');

interface Schema {
  type?: string; description?: string; default?: unknown; enum?: unknown[]; pattern?: string; format?: string;
  minimum?: number; maximum?: number; exclusiveMinimum?: number | boolean; minLength?: number; maxLength?: number;
  minItems?: number; maxItems?: number; properties?: Record<string, Schema>; items?: Schema; required?: string[];
  additionalProperties?: boolean | Schema; oneOf?: Schema[]; anyOf?: Schema[];
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}
interface Crd {
  spec: {
    group: string; names: { kind: string; shortNames?: string[]; categories?: string[] };
    versions: { name: string; additionalPrinterColumns?: { name: string; jsonPath: string; priority?: number }[]; schema: { openAPIV3Schema: Schema } }[];
  };
}
interface Row { path: string; required: boolean; type: string; def: string; description: string; nested: boolean }

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ').trim();
const code = (v: unknown): string => (v === undefined ? '' : `\`${typeof v === 'string' && v !== '' ? v : JSON.stringify(v)}\``);

function typeOf(s: Schema): string {
  if (s.oneOf ?? s.anyOf) return (s.oneOf ?? s.anyOf ?? []).map(typeOf).join(' or ');
  if (s.type === 'array') return `[]${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object') return `map[string]${typeOf(s.additionalProperties)}`;
  return s.type ?? 'any';
}

/** Constraints a person needs to write a valid value: enum, range, length, pattern, CEL rules. */
function constraints(s: Schema): string {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map(code).join(', ')}`);
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`range ${s.minimum ?? '…'}–${s.maximum ?? '…'}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) out.push(`length ${s.minLength ?? 0}–${s.maxLength ?? '…'}`);
  if (s.minItems !== undefined) out.push(`at least ${s.minItems} item(s)`);
  if (s.pattern) out.push(`matches ${code(s.pattern)}`);
  if (s.format) out.push(`format ${s.format}`);
  for (const v of s['x-kubernetes-validations'] ?? []) out.push(`rule: ${v.message ?? code(v.rule)}`);
  return out.length ? ` *(${out.join('; ')})*` : '';
}

function flatten(s: Schema, prefix: string, required: boolean, rows: Row[]): void {
  if (prefix) {
    rows.push({
      path: prefix,
      required,
      type: typeOf(s),
      def: code(s.default),
      description: (s.description ?? '') + constraints(s),
      nested: s.properties !== undefined,
    });
  }
  const children = s.properties ?? (s.type === 'array' ? s.items?.properties : undefined);
  const req = new Set(s.properties ? s.required ?? [] : s.items?.required ?? []);
  const base = s.type === 'array' ? `${prefix}[]` : prefix;
  for (const [name, child] of Object.entries(children ?? {})) flatten(child, base ? `${base}.${name}` : name, req.has(name), rows);
}

const table = (rows: Row[], head = '| field | type | default | description |'): string =>
  [head, '|---|---|---|---|', ...rows.map((r) => `| \`${r.path}\`${r.required ? ' *(required)*' : ''} | ${cell(r.type)} | ${cell(r.def)} | ${cell(r.description)} |`)].join('\n');

function crdSection(crd: Crd): string {
  const v = crd.spec.versions[0];
  const root = v.schema.openAPIV3Schema;
  const out = [`## ${crd.spec.names.kind}`, '', `\`${crd.spec.group}/${v.name}\`, namespaced.`
    + ` Short name${(crd.spec.names.shortNames ?? []).length > 1 ? 's' : ''}: ${(crd.spec.names.shortNames ?? []).map(code).join(', ')};`
    + ` category ${(crd.spec.names.categories ?? []).map(code).join(', ')}. ${cell(root.description ?? '')}`, ''];
  const cols = v.additionalPrinterColumns ?? [];
  if (cols.length) {
    out.push('`kubectl get` columns: ' + cols.filter((c) => !c.priority).map((c) => c.name.toUpperCase()).join(', ')
      + (cols.some((c) => c.priority) ? ` (with \`-o wide\`: ${cols.filter((c) => c.priority).map((c) => c.name.toUpperCase()).join(', ')})` : '') + '.', '');
  }
  for (const part of ['spec', 'status'] as const) {
    const s = root.properties?.[part];
    if (!s) continue;
    const rows: Row[] = [];
    flatten(s, part, false, rows);
    out.push(`### ${part}`, '', table(rows.slice(1)), '');
  }
  return out.join('\n');
}

function valuesSection(schema: Schema, values: Record<string, unknown>): string {
  const rows: Row[] = [];
  flatten(schema, '', false, rows);
  const get = (p: string): unknown => p.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), values);
  const withDefaults = rows.filter((r) => !r.path.includes('[]')).map((r) => {
    // Defaults come from values.yaml; a free-form object's default is shown when it is short.
    const v = get(r.path);
    const shown = v !== undefined && !r.nested && JSON.stringify(v).length <= 120;
    return { ...r, def: r.def || (shown ? code(v) : '') };
  });
  return ['## Helm values (`charts/hookbridge`)', '',
    'Set with `--set key=value` or `-f values.yaml`; `helm install` refuses values the schema rejects (unknown keys included).', '',
    table(withDefaults, '| key | type | default | description |'), ''].join('\n');
}

export function render(): string {
  const crdDir = fs.existsSync(path.join(CHART, 'crds')) ? path.join(CHART, 'crds') : path.join(ROOT, 'crds');
  const crds = fs.readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f)).sort()
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(crdDir, f), 'utf8')).map((d) => d.toJS() as Crd))
    .filter((c) => c?.spec?.names)
    .sort((a, b) => (a.spec.names.kind === 'WebhookChannel' ? -1 : b.spec.names.kind === 'WebhookChannel' ? 1 : 0));
  const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as Schema;
  const values = parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  return [
    '# Configuration reference', '',
    '<!-- Generated by `node docs/gen-reference.ts` from the CRDs and charts/hookbridge/values.schema.json. Do not edit. -->', '',
    'Every field of the two custom resources (also available as `kubectl explain whc.spec` and',
    '`kubectl explain whsub.spec`) and every value of the Helm chart. Durations are Go-style (`90s`, `1h30m`).', '',
    ...crds.map(crdSection),
    valuesSection(schema, values),
  ].join('\n');
}

if (import.meta.main) {
  const text = render();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (current !== text) { console.error('docs/reference.md is stale: run node docs/gen-reference.ts'); process.exit(1); }
  } else {
    fs.writeFileSync(OUT, text);
  }
}
