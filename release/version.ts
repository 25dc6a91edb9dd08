// One version for everything a release publishes: the npm package (package.json, package-lock.json),
// the chart (Chart.yaml version and appVersion) and the image (tagged with it; values.yaml image.tag stays
// empty so the chart runs appVersion, and a released chart pins the image by digest).
//   node release/version.ts check            exit 1 and list what disagrees
//   node release/version.ts set 0.2.0        write the version everywhere; CHANGELOG "Unreleased" becomes it
//   node release/version.ts digest sha256:…  pin the chart's image by digest (release pipeline, after the push)
//   node release/version.ts get              print the version (for image tags and chart packaging)
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const files = (root: string) => ({
  pkg: path.join(root, 'package.json'),
  lock: path.join(root, 'package-lock.json'),
  chart: path.join(root, 'charts/hookbridge/Chart.yaml'),
  values: path.join(root, 'charts/hookbridge/values.yaml'),
  changelog: path.join(root, 'CHANGELOG.md'),
});

const read = (f: string): string => fs.readFileSync(f, 'utf8');
const yamlField = (text: string, key: string): string | undefined => new RegExp(`^${key}:\\s*"?([^"\\s]*)"?\\s*$`, 'm').exec(text)?.[1];
/** The `tag:` / `digest:` under the top-level `image:` block of values.yaml. */
function imageField(values: string, key: 'tag' | 'digest'): string | undefined {
  const block = /^image:\n((?:[ \t]+.*\n|[ \t]*#.*\n|\n)*)/m.exec(values)?.[1] ?? '';
  return new RegExp(`^[ \\t]+${key}:\\s*"?([^"\\s]*)"?`, 'm').exec(block)?.[1];
}

export function currentVersion(root = ROOT): string {
  return (JSON.parse(read(files(root).pkg)) as { version: string }).version;
}

/** Everything that must agree with package.json's version; empty when all do. */
export function checkVersions(root = ROOT): string[] {
  const f = files(root);
  const v = currentVersion(root);
  const problems: string[] = [];
  if (!SEMVER.test(v)) problems.push(`package.json version ${v} is not semver`);
  const lock = JSON.parse(read(f.lock)) as { version?: string; packages?: Record<string, { version?: string }> };
  if (lock.version !== v) problems.push(`package-lock.json version is ${lock.version}, package.json ${v}`);
  if (lock.packages?.['']?.version !== v) problems.push(`package-lock.json packages[""].version is ${lock.packages?.['']?.version}, package.json ${v}`);
  const chart = read(f.chart);
  if (yamlField(chart, 'version') !== v) problems.push(`Chart.yaml version is ${yamlField(chart, 'version')}, package.json ${v}`);
  if (yamlField(chart, 'appVersion') !== v) problems.push(`Chart.yaml appVersion is ${yamlField(chart, 'appVersion')}, package.json ${v}`);
  const values = read(f.values);
  const tag = imageField(values, 'tag');
  if (tag !== '' && tag !== v) problems.push(`values.yaml image.tag is ${tag}; leave it "" so the chart runs appVersion ${v}`);
  const digest = imageField(values, 'digest');
  if (digest !== '' && !DIGEST.test(digest ?? '')) problems.push(`values.yaml image.digest ${digest} is not sha256:<64 hex>`);
  if (!new RegExp(`^## \\[${v.replace(/\./g, '\\.')}\\]`, 'm').test(read(f.changelog))) problems.push(`CHANGELOG.md has no "## [${v}]" section`);
  return problems;
}

export function setVersion(v: string, root = ROOT, today = new Date().toISOString().slice(0, 10)): void {
  if (!SEMVER.test(v)) throw new Error(`${v} is not a semver version such as 1.2.3`);
  const f = files(root);
  const pkg = JSON.parse(read(f.pkg)) as Record<string, unknown>;
  pkg.version = v;
  fs.writeFileSync(f.pkg, `${JSON.stringify(pkg, null, 2)}\n`);
  const lock = JSON.parse(read(f.lock)) as { version: string; packages: Record<string, { version?: string }> };
  lock.version = v;
  lock.packages[''].version = v;
  fs.writeFileSync(f.lock, `${JSON.stringify(lock, null, 2)}\n`);
  fs.writeFileSync(f.chart, read(f.chart).replace(/^version:.*$/m, `version: ${v}`).replace(/^appVersion:.*$/m, `appVersion: "${v}"`));
  const log = read(f.changelog);
  if (!log.includes(`## [${v}]`)) {
    if (!/^## \[Unreleased\]/m.test(log)) throw new Error('CHANGELOG.md has no "## [Unreleased]" section to release');
    fs.writeFileSync(f.changelog, log.replace(/^## \[Unreleased\].*$/m, `## [Unreleased]\n\n## [${v}] - ${today}`));
  }
}

export function pinDigest(digest: string, root = ROOT): void {
  if (!DIGEST.test(digest)) throw new Error(`${digest} is not sha256:<64 hex>`);
  const f = files(root).values;
  const text = read(f);
  const block = /^image:\n((?:[ \t]+.*\n|[ \t]*#.*\n|\n)*)/m.exec(text);
  if (!block) throw new Error('values.yaml has no image: block');
  const pinned = block[1].replace(/^([ \t]+digest:).*$/m, `$1 "${digest}"`);
  fs.writeFileSync(f, text.replace(block[1], pinned));
}

if (import.meta.main) {
  const [cmd, arg] = process.argv.slice(2);
  try {
    if (cmd === 'get') process.stdout.write(`${currentVersion()}\n`);
    else if (cmd === 'check') {
      const problems = checkVersions();
      if (problems.length > 0) { process.stderr.write(`versions disagree:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`); process.exit(1); }
      process.stdout.write(`${currentVersion()}: package, lockfile, chart version and appVersion, image tag and CHANGELOG agree\n`);
    } else if (cmd === 'set' && arg) { setVersion(arg); process.stdout.write(`version ${arg} written; review CHANGELOG.md\n`); }
    else if (cmd === 'digest' && arg) { pinDigest(arg); process.stdout.write(`values.yaml image.digest = ${arg}\n`); }
    else { process.stderr.write('usage: node release/version.ts get | check | set X.Y.Z | digest sha256:...\n'); process.exit(2); }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
