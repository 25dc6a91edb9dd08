import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WatchedFile } from './watched-file.ts';
import { writeProjectedVolume, writeSecretVolume } from './testing/kubelet-secret.ts';
import { eventually } from '../test/harness/eventually.ts';

const POLL_NEVER = 3_600_000; // only fs.watch can notice in these tests

function watched(path: string, root?: string) {
  const f = new WatchedFile(path, { pollMs: POLL_NEVER, root });
  const seen: string[] = [];
  f.onChange((v) => seen.push(v));
  return { f, seen };
}

test('a Secret volume swap (..data renamed in the file\'s directory) is noticed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-wf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeSecretVolume(dir, { token: 'hbt_one\n' });
  const { f, seen } = watched(join(dir, 'token'));
  assert.equal(await f.read(), 'hbt_one', 'trimmed');
  f.start();
  t.after(() => f.stop());
  writeSecretVolume(dir, { token: 'hbt_two' });
  await eventually(() => seen.length === 1, { message: 'change seen' });
  writeSecretVolume(dir, { token: 'hbt_three' });
  await eventually(() => seen.length === 2, { message: 'second change seen' });
  assert.deepEqual(seen, ['hbt_two', 'hbt_three']);
  assert.equal(f.current(), 'hbt_three');
});

test('a projected volume swap (..data renamed at the volume root) is noticed, repeatedly', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hb-wf-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const item = 'secrets/sink-hookbridge-token/token';
  writeProjectedVolume(root, { [item]: 'hbt_one', 'secrets/sink-hookbridge-signing/secret': 'whsec_x' });
  const { f, seen } = watched(join(root, item), root);
  await f.read();
  f.start();
  t.after(() => f.stop());
  for (const v of ['hbt_two', 'hbt_three', 'hbt_four']) {
    writeProjectedVolume(root, { [item]: v, 'secrets/sink-hookbridge-signing/secret': 'whsec_x' });
    await eventually(() => seen.at(-1) === v, { message: `saw ${v}` });
  }
  assert.deepEqual(seen, ['hbt_two', 'hbt_three', 'hbt_four']);
});

test('a file that appears later is picked up by the poll; unchanged content is not a change', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-wf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = new WatchedFile(join(dir, 'later', 'token'), { pollMs: 20 });
  const seen: string[] = [];
  f.onChange((v) => seen.push(v));
  await assert.rejects(f.read());
  f.start();
  t.after(() => f.stop());
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'later'));
  writeFileSync(join(dir, 'later', 'token'), 'hbt_new');
  await eventually(() => seen.length === 1, { message: 'appeared' });
  writeFileSync(join(dir, 'later', 'token'), 'hbt_new\n');
  await new Promise((r) => setTimeout(r, 100)); // proves a negative: the same token with a newline is no change
  assert.deepEqual(seen, ['hbt_new']);
});
