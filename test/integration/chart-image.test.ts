// The image the chart runs (Dockerfile): no Docker engine here, so this checks what decides whether the
// image works — every module `hookbridge <subcommand>` can load is inside what the Dockerfile copies
// and .dockerignore lets through, and every package it imports is a production dependency (the image
// installs `npm ci --omit=dev`). Also the Dockerfile's invariants: lockfile honoured, non-root, entrypoint.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { NODE_RUNTIME_FLAGS } from '../../release/runtime-flags.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** Source directories and files the final stage copies from the build context. */
function copied(): string[] {
  const final = dockerfile.split(/^FROM /m).at(-1) ?? '';
  return [...final.matchAll(/^COPY (?!--from)(\S+) /gm)].map((m) => m[1].replace(/\/$/, ''));
}

/** .dockerignore: everything is excluded, then re-included with `!`, then these patterns excluded again. */
function ignored(rel: string): boolean {
  const lines = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  let out = false;
  for (const line of lines) {
    const neg = line.startsWith('!');
    const pat = (neg ? line.slice(1) : line).replace(/\/$/, '');
    const re = new RegExp(`^${pat.split('**/').map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('(?:.*/)?')}(?:/.*)?$`);
    if (re.test(rel)) out = !neg;
  }
  return out;
}

/** Every module reachable from cli/main.ts through relative static and dynamic imports, and the packages they import. */
function importGraph(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      if (/^(?:import|export)\s+type\s/.test(m[0].trim())) continue; // erased at run time
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  };
  visit(path.join(ROOT, 'cli/main.ts'));
  return { files, packages };
}

test('the Dockerfile installs from the lockfile, production only, and runs the CLI as non-root with the runtime flags', () => {
  assert.match(dockerfile, /COPY package\.json package-lock\.json \.\//);
  assert.match(dockerfile, /RUN npm ci --omit=dev /);
  assert.match(dockerfile, /^USER 65532:65532$/m);
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  assert.deepEqual(entrypoint, ['/nodejs/bin/node', ...NODE_RUNTIME_FLAGS, 'cli/main.ts'], 'the image runs node with release/runtime-flags.ts, as the bench does');
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
});

test('every module any subcommand can load is copied into the image', () => {
  const { files } = importGraph();
  const dirs = copied();
  assert.ok(files.size > 50, `only ${files.size} modules found from cli/main.ts`);
  for (const sub of ['receiver/main.ts', 'connector/main.ts', 'operator/main.ts', 'connector/listen.ts', 'cli/dev.ts']) {
    assert.ok(files.has(path.join(ROOT, sub)), `cli/main.ts does not reach ${sub}`);
  }
  const missing = [...files].map((f) => path.relative(ROOT, f))
    .filter((rel) => !dirs.some((d) => rel === d || rel.startsWith(`${d}/`)) || ignored(rel));
  assert.deepEqual(missing, [], 'modules the image would lack');
});

test('every package the CLI imports is a production dependency', () => {
  const { packages } = importGraph();
  const notProd = [...packages].filter((p) => !(p in pkg.dependencies));
  assert.deepEqual(notProd, [], 'imported at run time but missing from "dependencies" (npm ci --omit=dev drops them)');
});

test('.dockerignore keeps tests and local state out of the build context', () => {
  for (const rel of ['receiver/app.test.ts', 'node_modules/x/index.js', '.git/config', 'test/harness/kube.ts', 'bench/run.ts', 'charts/hookbridge/values.yaml']) {
    assert.ok(ignored(rel), `${rel} would be sent to the builder`);
  }
  for (const rel of ['package.json', 'package-lock.json', 'receiver/app.ts', 'cli/main.ts', 'examples/shop.yaml']) {
    assert.ok(!ignored(rel), `${rel} would be left out`);
  }
});
