// The Hookbridge subcommands as local child processes (no kubelet runs pods here): each in its own process
// group, stdout/stderr appended to `<dir>/<name>.log`, stopped by signal with a SIGKILL fallback. A small
// watchdog kills a child's group if this test process dies without running its exit handlers.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
const CLI = path.join(ROOT, 'cli/main.ts');
const live = new Set<ChildProcess>();

const running = (c: ChildProcess): boolean => c.pid !== undefined && c.exitCode === null && c.signalCode === null;
const signalGroup = (c: ChildProcess, signal: NodeJS.Signals): void => {
  if (!running(c)) return;
  try { process.kill(-(c.pid as number), signal); } catch { /* already gone */ }
};
process.once('exit', () => { for (const c of live) signalGroup(c, 'SIGKILL'); });

function watchdog(pid: number): void {
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -0 "$1" 2>/dev/null || kill -KILL -- "-$2" 2>/dev/null';
  spawn('bash', ['-c', script, 'watchdog', String(process.pid), String(pid)], { detached: true, stdio: 'ignore' }).unref();
}

export class Processes {
  readonly dir: string;
  readonly #children = new Map<string, ChildProcess>();

  constructor(dir: string) { this.dir = dir; }

  logFile(name: string): string { return path.join(this.dir, `${name}.log`); }

  /** `node cli/main.ts <args>` as `name`; a restarted name appends to the same log. */
  start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const existing = this.#children.get(name);
    if (existing && running(existing)) throw new Error(`${name} is already running`);
    const fd = fs.openSync(this.logFile(name), 'a');
    fs.writeSync(fd, `--- start: hookbridge ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    fs.closeSync(fd);
    if (child.pid !== undefined) watchdog(child.pid);
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.#children.set(name, child);
    return child;
  }

  /** Names of started processes that are no longer running (and were not stopped by us). */
  exited(): string[] {
    return [...this.#children].filter(([, c]) => !running(c)).map(([n]) => n);
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(name: string, graceMs = 10_000): Promise<number | null> {
    const child = this.#children.get(name);
    this.#children.delete(name);
    if (!child) return null;
    if (running(child)) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    return child.exitCode;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children.keys()].map((n) => this.stop(n)));
  }

  log(name: string): string {
    try { return fs.readFileSync(this.logFile(name), 'utf8'); } catch { return ''; }
  }

  /** The last lines of every log, for a failure message. */
  tails(lines = 30): string {
    const names = fs.readdirSync(this.dir).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort();
    return names.map((n) => `--- ${n}.log (last ${lines} lines)\n${this.log(n).trimEnd().split('\n').slice(-lines).join('\n')}`).join('\n');
  }
}

