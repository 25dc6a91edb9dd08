// One version everywhere: the repository agrees with itself, and `set` / `digest` keep it so.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkVersions, currentVersion, pinDigest, ROOT, setVersion } from './version.ts';

const FILES = ['package.json', 'package-lock.json', 'charts/hookbridge/Chart.yaml', 'charts/hookbridge/values.yaml', 'CHANGELOG.md'];

function copyOfRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-release-'));
  for (const f of FILES) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  return dir;
}

test('package, lockfile, chart version and appVersion, image tag and CHANGELOG agree in this repository', () => {
  assert.deepEqual(checkVersions(), []);
});

test('set writes one version everywhere and opens its CHANGELOG section', (t) => {
  const dir = copyOfRepo();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  setVersion('7.8.9', dir, '2027-01-02');
  assert.equal(currentVersion(dir), '7.8.9');
  assert.deepEqual(checkVersions(dir), []);
  const chart = fs.readFileSync(path.join(dir, 'charts/hookbridge/Chart.yaml'), 'utf8');
  assert.match(chart, /^version: 7\.8\.9$/m);
  assert.match(chart, /^appVersion: "7\.8\.9"$/m);
  assert.match(fs.readFileSync(path.join(dir, 'CHANGELOG.md'), 'utf8'), /## \[Unreleased\]\n\n## \[7\.8\.9\] - 2027-01-02\n/);
  assert.throws(() => setVersion('v1', dir), /not a semver/);
});

test('check names each file that disagrees', (t) => {
  const dir = copyOfRepo();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const chart = path.join(dir, 'charts/hookbridge/Chart.yaml');
  fs.writeFileSync(chart, fs.readFileSync(chart, 'utf8').replace(/^appVersion:.*$/m, 'appVersion: "9.9.9"'));
  const values = path.join(dir, 'charts/hookbridge/values.yaml');
  fs.writeFileSync(values, fs.readFileSync(values, 'utf8').replace(/^(\s+)tag: ""/m, '$1tag: "latest"'));
  const problems = checkVersions(dir);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /Chart\.yaml appVersion is 9\.9\.9/);
  assert.match(problems[1], /values\.yaml image\.tag is latest/);
});

test('digest pins the chart\'s image by digest (and only a sha256 digest)', (t) => {
  const dir = copyOfRepo();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const digest = `sha256:${'ab'.repeat(32)}`;
  pinDigest(digest, dir);
  const values = fs.readFileSync(path.join(dir, 'charts/hookbridge/values.yaml'), 'utf8');
  assert.match(values, new RegExp(`^image:\\n(.*\\n)*?\\s+digest: "${digest}"$`, 'm'));
  assert.equal(values.split(digest).length, 2, 'written once, under image:');
  assert.deepEqual(checkVersions(dir), []);
  assert.throws(() => pinDigest('latest', dir), /not sha256/);
});
