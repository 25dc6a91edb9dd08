// The README's "All on a laptop" block, run as written: its four commands taken from README.md (only the
// ports moved to free ones, `hookbridge` run from this checkout, and the printed token pasted in), and
// the outcome the README promises — the echo says the signature is valid, listen reports a 200.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePorts } from '../harness/ports.ts';
import { eventually } from '../harness/eventually.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, HOOKBRIDGE_LOG_LEVEL: 'warn' };

/** The fenced block after "All on a laptop": one command per line (continuations joined, comments dropped). */
function laptopCommands(readme: string): string[] {
  const block = /All on a laptop[^\n]*\n+```bash\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README.md has the "All on a laptop" block');
  return block.replace(/\\\n\s*/g, '').split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

interface Proc { child: ChildProcess; out: () => string }
function sh(line: string): Proc {
  const child = spawn('sh', ['-c', line], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  return { child, out: () => out };
}

const until = <T>(what: string, probe: () => T | undefined | false, log: () => string, timeoutMs = 30_000): Promise<T> =>
  eventually(probe, { message: () => `${what}\n${log()}\n`, timeoutMs, intervalMs: 50 });

test('README "All on a laptop": echo, dev --connectors=false, listen --subscription -f examples/, curl → a valid signature', async () => {
  const commands = laptopCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  assert.deepEqual(commands.map((c) => c.split(' ').slice(0, 2).join(' ')), ['hookbridge echo', 'hookbridge dev', 'hookbridge listen', 'curl -X']);
  const [destPort, rxPort] = await freePorts(2);
  const local = (c: string) => c.replace(/\b3000\b/g, String(destPort)).replace(/\b8080\b/g, String(rxPort)).replace(/^hookbridge /, `node cli/main.ts `);
  const [echoCmd, devCmd, listenCmd, curlCmd] = commands.map(local);
  const procs: Proc[] = [];
  try {
    const echo = sh(echoCmd);
    procs.push(echo);
    await until('echo', () => echo.out().includes('listening'), echo.out);
    const dev = sh(devCmd);
    procs.push(dev);
    const token = await until('dev prints a token for demo/echo', () => /minted a stream token for demo\/echo[^\n]*: (hbt_\S+)/.exec(dev.out())?.[1], dev.out);
    const listen = sh(listenCmd.replace('hbt_…', token));
    procs.push(listen);
    await until('listen ready', () => listen.out().includes('Ready.'), listen.out);

    const { stdout } = await promisify(execFile)('sh', ['-c', curlCmd], { cwd: ROOT, env });
    const id = (JSON.parse(stdout) as { id: string }).id;
    await until('the echo printed the request', () => echo.out().includes(`webhook-id: ${id}`), () => `${echo.out()}\n${listen.out()}`);
    assert.match(echo.out(), /signature: ✓ valid \(standard-webhooks\)/);
    assert.doesNotMatch(echo.out(), /INVALID/);
    const line = await until('listen\'s line', () => listen.out().split('\n').find((l) => l.includes(`"id":"${id}"`)), listen.out);
    assert.deepEqual(JSON.parse(line), { ...JSON.parse(line), eventType: 'push', outcome: 'success', status: 200 });
  } finally {
    for (const p of procs) { try { process.kill(-(p.child.pid as number), 'SIGKILL'); } catch { /* gone */ } }
  }
});
