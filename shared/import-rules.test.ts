// The architecture's import rules, checked on every product file so that the folders keep meaning what
// they say: shared/ is the contract everyone builds on, the three components (receiver, connector,
// operator) stand beside each other, cli/ sits on top, and tests and their helpers sit outside product
// code. Each operator controller folder reconciles one kind on its own; what two of them need lives
// above them (operator/controllers/*.ts) or in shared/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..'));
const PRODUCT_ROOTS = ['receiver', 'connector', 'operator', 'shared', 'cli'] as const;
const COMPONENTS = new Set(['receiver', 'connector', 'operator']);

/**
 * Edges that break a rule and are accepted for now, each with a comment saying why and until when. The
 * list may only shrink: an entry that no longer occurs fails the test too, so whoever fixes an edge
 * removes it here. Format: 'importer -> imported', both repo-relative. Empty since issue 13.
 */
const KNOWN_VIOLATIONS: readonly string[] = [];

export interface Edge { from: string; to: string }

/** Test files and test helpers: they may import anything (fakes, harness, other components). */
export function isTestCode(path: string): boolean {
  return path.endsWith('.test.ts') || path.startsWith('test/') || /(^|\/)testing\//.test(path) ||
    /(^|\/)(test-support|conformance|conformance-support)\.ts$/.test(path);
}

function top(path: string): string { return path.split('/')[0] ?? ''; }

/** The controller folder a path is in (operator/controllers/<name>/…), if any. */
function controllerFolder(path: string): string | undefined {
  const m = /^operator\/controllers\/([^/]+)\//.exec(path);
  return m?.[1];
}

/** Why an import from one product file to another repo file breaks the rules, or undefined if it doesn't. */
export function brokenRule({ from, to }: Edge): string | undefined {
  const a = top(from);
  const b = top(to);
  if (b === 'test' || isTestCode(to)) return 'product code imports test code';
  if (b === 'cli' && a !== 'cli') return 'only cli/ may import cli/';
  if (a === 'shared' && b !== 'shared' && (COMPONENTS.has(b) || b === 'cli')) return 'shared/ imports a component';
  if (COMPONENTS.has(a) && COMPONENTS.has(b) && a !== b) return 'one component imports another';
  const ca = controllerFolder(from);
  const cb = controllerFolder(to);
  if (ca !== undefined && cb !== undefined && ca !== cb) return 'one controller folder imports another';
  return undefined;
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative module specifiers a source file imports or re-exports (static, side-effect and dynamic). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
}

function productFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) { if (e.name !== 'node_modules') out.push(...productFiles(path)); }
    else if (e.name.endsWith('.ts') && !isTestCode(path)) out.push(path);
  }
  return out;
}

function productEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const from of PRODUCT_ROOTS.flatMap(productFiles)) {
    for (const spec of relativeImports(readFileSync(join(ROOT, from), 'utf8'))) {
      const to = relative(ROOT, join(ROOT, dirname(from), spec)).split(sep).join('/');
      edges.push({ from, to });
    }
  }
  return edges;
}

test('the rules catch each kind of wrong import and let the right ones through', () => {
  const wrong: Edge[] = [
    { from: 'receiver/main.ts', to: 'cli/flags.ts' },
    { from: 'operator/main.ts', to: 'test/harness/kube.ts' },
    { from: 'connector/connector.ts', to: 'connector/testing/relay.ts' },
    { from: 'shared/config.ts', to: 'receiver/config/channel-schema.ts' },
    { from: 'operator/api/labels.ts', to: 'receiver/config/kube.ts' },
    { from: 'operator/controllers/subscription/reconciler.ts', to: 'operator/controllers/webhookchannel/status.ts' },
  ];
  for (const e of wrong) assert.ok(brokenRule(e), `${e.from} -> ${e.to} should be refused`);
  const right: Edge[] = [
    { from: 'cli/dev.ts', to: 'cli/flags.ts' },
    { from: 'cli/dev.ts', to: 'connector/connector.ts' },
    { from: 'receiver/main.ts', to: 'shared/logger.ts' },
    { from: 'operator/controllers/subscription/reconciler.ts', to: 'operator/controllers/deps.ts' },
    { from: 'operator/controllers/subscription/reconciler.ts', to: 'operator/controllers/subscription/status.ts' },
  ];
  for (const e of right) assert.equal(brokenRule(e), undefined, `${e.from} -> ${e.to} should be allowed`);
});

test('relativeImports finds static, type-only, re-export, side-effect and dynamic imports', () => {
  const src = [
    "import { a } from './a.ts';",
    "import type { B } from '../b.ts';",
    "export { c } from './c.ts';",
    "export * from './d.ts';",
    "import './e.ts';",
    "const f = await import('./f.ts');",
    "import {\n  g,\n} from './g.ts';",
    "import express from 'express';",
  ].join('\n');
  assert.deepEqual(relativeImports(src), ['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', './f.ts', './g.ts']);
});

test('product code imports only downward (no cli/ or test code, shared/ below the components, controllers apart)', () => {
  const found = productEdges()
    .filter((e) => brokenRule(e) !== undefined)
    .map((e) => `${e.from} -> ${e.to}`);
  const unique = [...new Set(found)].sort();
  const known = new Set(KNOWN_VIOLATIONS);
  const fresh = unique.filter((v) => !known.has(v));
  const gone = KNOWN_VIOLATIONS.filter((v) => !unique.includes(v));
  assert.deepEqual(fresh, [], `new imports against the grain:\n${fresh.map((v) => `  ${v}: ${brokenRule(edgeOf(v))}`).join('\n')}`);
  assert.deepEqual(gone, [], `fixed, so remove from KNOWN_VIOLATIONS:\n${gone.join('\n')}`);
});

function edgeOf(v: string): Edge {
  const [from = '', to = ''] = v.split(' -> ');
  return { from, to };
}
