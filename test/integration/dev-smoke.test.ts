// `hookbridge dev -f examples/` as a user runs it (README demo): real processes, the real examples (only
// the echo port swapped for a free one), a webhook in with curl-like POST, out at `hookbridge echo` signed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { parse } from 'yaml';
import { freePort } from '../harness/ports.ts';
import { eventually } from '../harness/eventually.ts';

const root = new URL('../../', import.meta.url).pathname;

function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOOKBRIDGE_LOG_LEVEL: 'info' } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}


test('hookbridge dev -f examples/ + hookbridge echo: a webhook arrives at the echo, signed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-dev-smoke-'));
  const echoPort = await freePort();
  const devPort = await freePort();
  cpSync(join(root, 'examples'), dir, { recursive: true });
  // The Subscription names the Service echo:9000 (as in a cluster); dev delivers it to 127.0.0.1 on its port.
  const subFile = join(dir, 'subscription.yaml');
  const subText = readFileSync(subFile, 'utf8');
  assert.match(subText, /service:\s+name: echo\s+port: 9000/);
  writeFileSync(subFile, subText.replace('port: 9000', `port: ${echoPort}`));
  const secret = (parse(readFileSync(join(dir, 'secret.yaml'), 'utf8')) as { stringData: { secret: string } }).stringData.secret;

  const echo = run(['echo', '--port', String(echoPort), '--secret', secret]);
  const dev = run(['dev', '-f', dir, '--port', String(devPort)]);
  try {
    await eventually(() => echo.out().includes('listening'), { message: 'echo listening', timeoutMs: 20_000, intervalMs: 50 });
    await eventually(() => dev.out().includes('Ctrl-C to stop'), { message: 'dev ready', timeoutMs: 20_000, intervalMs: 50 });
    assert.match(dev.out(), new RegExp(`POST http://127.0.0.1:${devPort}/webhook/demo/github`));
    assert.ok(dev.out().includes(`demo/echo delivers to http://127.0.0.1:${echoPort}/hooks`), dev.out());
    await eventually(() => dev.out().includes('"msg":"connected"'), { message: 'connector connected', timeoutMs: 20_000, intervalMs: 50 });

    const res = await request(`http://localhost:${devPort}/webhook/demo/github`, {
      method: 'POST', headers: { 'x-github-event': 'push', 'content-type': 'application/x-www-form-urlencoded' }, body: '{"hello":"world"}',
    });
    assert.equal(res.statusCode, 202);
    const { id } = (await res.body.json()) as { id: string };

    await eventually(() => echo.out().includes('signature:'), { message: 'delivery at the echo', timeoutMs: 20_000, intervalMs: 50 });
    const printed = echo.out();
    assert.match(printed, /── POST \/hooks/);
    assert.match(printed, /\{"hello":"world"\}/);
    assert.match(printed, /x-github-event: push/);
    assert.match(printed, /x-hookbridge-event-type: push/);
    assert.ok(printed.includes(`webhook-id: ${id}`));
    assert.match(printed, /signature: ✓ valid \(standard-webhooks\)/);

    const tokens = dev.err().match(/hbt_[A-Za-z0-9_-]+/g) ?? [];
    assert.equal(tokens.length, 1, 'the minted token is printed exactly once');
    assert.ok(!dev.out().includes(tokens[0]), 'and never in the JSON logs');

    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0);
    assert.match(dev.out(), /"msg":"connector stopped"[\s\S]*"msg":"receiver stopped"/);
  } finally {
    for (const p of [dev, echo]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all([dev.exited, echo.exited]);
    rmSync(dir, { recursive: true, force: true });
  }
});
