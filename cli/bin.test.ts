// bin/hookbridge.js: found through a symlink as npm links it (node_modules/.bin, npx, npm i -g), and on a
// Node older than the engines field a clear message instead of a syntax error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'hookbridge.js');
const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('through a symlink in another folder, the bin finds the CLI next to its real path', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bin-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, '.bin'));
  fs.symlinkSync(BIN, path.join(dir, '.bin', 'hookbridge'));
  const { stdout } = await run(process.execPath, [path.join(dir, '.bin', 'hookbridge'), '--version'], { cwd: dir });
  assert.equal(stdout, `hookbridge ${version}\n`);
});

test('a Node older than the engines field gets told which Node to install, exit 1', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bin-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(BIN, path.join(dir, 'bin', 'hookbridge.js'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'hookbridge', version: '9.9.9', type: 'module', engines: { node: '>=99' } }));
  const err = await run(process.execPath, [path.join(dir, 'bin', 'hookbridge.js'), '--version']).then(() => undefined, (e: { code: number; stderr: string }) => e);
  assert.equal(err?.code, 1);
  assert.match(err?.stderr ?? '', new RegExp(`^hookbridge 9\\.9\\.9 needs Node\\.js >=99 \\(this is Node\\.js ${process.versions.node.replace(/\./g, '\\.')} at .*\\)\\.\\nInstall Node\\.js 99 or newer`));
});
