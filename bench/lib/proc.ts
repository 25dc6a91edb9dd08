// Child processes for the bench: each system under test runs in its own process group (so its event
// loop is not the load generator's), logs to a file in the run's temp dir, and is killed on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Child {
  name: string;
  pid: number;
  log: string;
  /** Resolves with the next IPC message of this type (children started with ipc only). */
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  /** Sends an IPC message and waits for the answer of `replyType`. */
  request<T = Record<string, unknown>>(msg: Record<string, unknown>, replyType: string, timeoutMs?: number): Promise<T>;
  alive(): boolean;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
function killAll(): void {
  for (const c of live) if (c.pid !== undefined) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } }
}
process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { killAll(); process.exit(sig === 'SIGINT' ? 130 : 143); });

export function tail(file: string, lines = 30): string {
  try { return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

export interface StartOptions { args?: string[]; env?: NodeJS.ProcessEnv; ipc?: boolean; cwd?: string; execArgv?: string[] }

/** Starts `bin args` (or a node script when bin ends in .ts) detached in its own process group. */
export function start(name: string, bin: string, dir: string, opts: StartOptions = {}): Child {
  const log = path.join(dir, `${name}.log`);
  const fd = fs.openSync(log, 'a');
  const isScript = bin.endsWith('.ts');
  const cmd = isScript ? process.execPath : bin;
  const args = isScript ? [...(opts.execArgv ?? []), bin, ...(opts.args ?? [])] : (opts.args ?? []);
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? dir,
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: opts.ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => { live.delete(child); resolve(); });
    child.once('error', (err) => { fs.appendFileSync(log, `spawn error: ${err.message}\n`); live.delete(child); resolve(); });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;

  const next = <T>(type: string, timeoutMs = 60_000): Promise<T> => new Promise<T>((resolve, reject) => {
    const onMsg = (m: unknown): void => {
      if ((m as { type?: string })?.type !== type) return;
      done();
      resolve(m as T);
    };
    const onExit = (): void => { done(); reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before "${type}":\n${tail(log)}`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`${name}: no "${type}" within ${timeoutMs} ms:\n${tail(log)}`)); }, timeoutMs);
    const done = (): void => { clearTimeout(timer); child.off('message', onMsg); child.off('exit', onExit); };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });

  return {
    name,
    pid: child.pid ?? -1,
    log,
    next,
    request: <T>(msg: Record<string, unknown>, replyType: string, timeoutMs?: number): Promise<T> => {
      const reply = next<T>(replyType, timeoutMs);
      child.send(msg);
      return reply;
    },
    alive,
    async stop(): Promise<void> {
      if (alive() && child.pid !== undefined) {
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
        const timer = setTimeout(() => { try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { /* gone */ } }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      // Reap anything the child left behind in its group.
      if (child.pid !== undefined) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }
    },
  };
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.listen(0, '127.0.0.1', resolve).once('error', reject));
  const addr = srv.address();
  await new Promise((r) => srv.close(r));
  if (addr === null || typeof addr === 'string') throw new Error('no free port');
  return addr.port;
}

/** Polls until `ready()` is true or throws after timeoutMs, naming the child whose log to read. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs = 60_000, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && !child.alive()) throw new Error(`${child.name} exited while waiting for ${what}:\n${tail(child.log)}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${child ? `:\n${tail(child.log)}` : ''}`);
}

export interface Memory { rssMiB: number; peakMiB: number; processes: number }

/** Resident memory of a process and all its descendants (Linux /proc): current sum and root's peak. */
export function treeMemory(rootPid: number): Memory {
  const parent = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch { /* exited */ }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parent.get(p), hops++) if (p === rootPid) return true;
    return false;
  };
  let rss = 0;
  let peak = 0;
  let processes = 0;
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    const status = readStatus(pid);
    rss += status.VmRSS ?? 0;
    peak += status.VmHWM ?? 0;
    processes++;
  }
  return { rssMiB: rss / 1024, peakMiB: peak / 1024, processes };
}

function readStatus(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]);
    }
  } catch { /* exited */ }
  return out;
}

/** The pid of the process listening on a local TCP port (via /proc/net/tcp{,6} socket inodes), if any. */
export function pidListeningOn(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(table, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[] = [];
    try { fds = fs.readdirSync(`/proc/${entry}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1])) return Number(entry);
      } catch { /* closed */ }
    }
  }
  return undefined;
}

/** treeMemory of each named process that is running. */
export function memoryOf(pids: Record<string, number | undefined>): Record<string, Memory> {
  const out: Record<string, Memory> = {};
  for (const [name, pid] of Object.entries(pids)) if (pid !== undefined) out[name] = treeMemory(pid);
  return out;
}
