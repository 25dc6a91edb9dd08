import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { snapshot, usage } from './cpu.ts';

test('a busy child shows up as CPU used by its tree and by the bench', async () => {
  // A child that spins for a while: its CPU must be attributed to it (not to "other").
  const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end);'], { stdio: 'ignore' });
  const a = snapshot({ spinner: child.pid });
  await new Promise((r) => setTimeout(r, 300));
  const b = snapshot({ spinner: child.pid });
  await new Promise((r) => child.once('exit', r));
  const u = usage(a, b);
  assert.ok(u.cores.spinner > 0, `spinner used ${u.cores.spinner} cores`);
  assert.ok(u.benchCores >= u.cores.spinner, JSON.stringify(u));
  assert.ok(u.otherCores >= 0);
});
