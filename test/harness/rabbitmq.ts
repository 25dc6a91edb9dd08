// A real RabbitMQ for tests: Debian's rabbitmq-server as an isolated node (own node name, ports, epmd,
// data, logs and Erlang cookie in a temp dir, listening on 127.0.0.1 only). `RABBITMQ_URL` overrides
// it with an existing broker, on which stop/start/kill throw: tests that need them fail, loudly.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import { freePorts } from './ports.ts';

export interface Rabbit {
  url: string;
  /** Graceful stop; data dir and ports are kept for start(). */
  stop(): Promise<void>;
  /** Starts the node again after stop()/kill(): same node name, data dir and ports. */
  start(): Promise<void>;
  /** SIGKILL the node, like a crash; restart with start(). */
  kill(): Promise<void>;
  /** Stops the node for good and removes its temp dir. */
  dispose(): Promise<void>;
  /** `rabbitmqctl <args>` against this node (`rabbitmq-queues` etc. with `tool`); its stdout. */
  ctl(args: string[], tool?: string): Promise<string>;
  /** Milliseconds the last start took until an AMQP connection succeeded. */
  startupMs: number;
  managementUrl?: string;
  dir?: string;
}

const SERVER = ['/usr/lib/rabbitmq/bin/rabbitmq-server', '/usr/sbin/rabbitmq-server'].find((p) => fs.existsSync(p));
const START_TIMEOUT_MS = 90_000;
/** The CLI tools' directory: /usr/sbin's wrappers would switch to the rabbitmq user. */
export const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';

interface Node { dir: string; env: NodeJS.ProcessEnv; child?: ChildProcess; exited?: Promise<void> }
const nodes = new Set<Node>();

function killEpmd(node: Node): void {
  try { execFileSync('epmd', ['-kill'], { env: node.env, stdio: 'ignore', timeout: 5_000 }); } catch { /* not running */ }
}

function killAllSync(): void {
  for (const n of nodes) {
    if (n.child?.pid !== undefined && n.child.exitCode === null && n.child.signalCode === null) {
      try { process.kill(-n.child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    killEpmd(n);
    fs.rmSync(n.dir, { recursive: true, force: true });
  }
}
process.once('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { killAllSync(); process.exit(sig === 'SIGINT' ? 130 : 143); });
}

/** The broker lost a race for one of its ports: worth another try with new ones. */
export const portTaken = (err: unknown): boolean => /dist_port_already_used|eaddrinuse|address already in use/i.test(String((err as Error)?.message ?? err));

async function amqpOk(url: string): Promise<boolean> {
  try {
    const conn = await connect(url);
    conn.on('error', () => {});
    await conn.close();
    return true;
  } catch { return false; }
}

function tail(file: string, lines = 40): string {
  try { return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

function external(url: string): Rabbit {
  const unsupported = (what: string) => (): Promise<never> =>
    Promise.reject(new Error(`RABBITMQ_URL is set: the harness cannot ${what} an external broker; unset it to let tests start their own`));
  return {
    url, startupMs: 0, stop: unsupported('stop'), start: unsupported('start'), kill: unsupported('kill'), dispose: async () => {},
    ctl: () => Promise.reject(new Error('RABBITMQ_URL is set: the harness cannot run rabbitmqctl against an external broker; unset it to let tests start their own')),
  };
}

export interface RabbitOptions {
  /** Address AMQP listens on (default 127.0.0.1; the cluster test bed uses its node's bridge address so pods reach it). */
  listen?: string;
  /** More rabbitmq.conf lines, e.g. `channel_max = 16`. */
  conf?: string[];
}

export async function startRabbit(opts: RabbitOptions = {}): Promise<Rabbit> {
  if (process.env.RABBITMQ_URL) return external(process.env.RABBITMQ_URL);
  if (!SERVER) throw new Error('rabbitmq-server not installed (run test/harness/setup.sh)');
  for (let attempt = 1; ; attempt++) {
    try { return await startNode(opts.listen ?? '127.0.0.1', opts.conf); } catch (err) { if (attempt >= 3 || !portTaken(err)) throw err; }
  }
}

/** What one node of the harness needs: everything else (data, logs, config) lives in its own temp dir. */
export interface NodeSpec {
  listen: string;
  /** Erlang node name, e.g. `rabbit-1a2b3c4d@localhost`. */
  nodename: string;
  amqpPort: number;
  distPort: number;
  /** epmd's port: its own for a lone node; one shared by every node of a cluster so they find each other. */
  epmdPort: number;
  /** Written as `$HOME/.erlang.cookie` (a cluster's nodes share one); absent: the node makes its own. */
  cookie?: string;
  /** More rabbitmq.conf lines (cluster formation, net_ticktime, partition handling). */
  conf?: string[];
}

/** A started node, plus what a cluster needs beyond the Rabbit interface. */
export interface NodeHandle extends Rabbit {
  dir: string;
  nodename: string;
  env: NodeJS.ProcessEnv;
  /** SIGSTOP (true) / SIGCONT (false) the node's process group: alive, sockets open, nothing answered. */
  pause(paused: boolean): void;
  /** The node's process is running (started and not exited). */
  running(): boolean;
}

async function startNode(listen: string, conf?: string[]): Promise<Rabbit> {
  const [amqpPort, distPort, epmdPort] = await freePorts(3);
  return launchNode({ listen, nodename: `rabbit-${randomBytes(4).toString('hex')}@localhost`, amqpPort, distPort, epmdPort, conf });
}

/** Creates the node's temp dir and starts it; on failure everything is cleaned up and the error thrown. */
export async function launchNode(spec: NodeSpec, opts: { start?: boolean } = {}): Promise<NodeHandle> {
  if (!SERVER) throw new Error('rabbitmq-server not installed (run test/harness/setup.sh)');
  const server = SERVER;
  const { listen, amqpPort, distPort, epmdPort } = spec;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-rabbit-'));
  fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.1 = ${listen}:${amqpPort}`,
    'distribution.listener.interface = 127.0.0.1',
    'loopback_users = none',
    'disk_free_limit.absolute = 50MB',
    'log.console = false',
    'log.file.level = info',
    ...(spec.conf ?? []),
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  if (spec.cookie !== undefined) fs.writeFileSync(path.join(dir, '.erlang.cookie'), spec.cookie, { mode: 0o400 });
  const node: Node = {
    dir,
    env: {
      PATH: process.env.PATH,
      HOME: dir, // the Erlang cookie lives here
      LANG: 'C.UTF-8',
      RABBITMQ_NODENAME: spec.nodename,
      RABBITMQ_NODE_IP_ADDRESS: listen,
      RABBITMQ_NODE_PORT: String(amqpPort),
      RABBITMQ_DIST_PORT: String(distPort),
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      // The node starts its own epmd daemon (outside our process group); this lets `epmd -kill` end it
      // even while the node is still registered (a hard kill on exit races the node's deregistration).
      ERL_EPMD_RELAXED_COMMAND_CHECK: '1',
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: path.join(dir, 'plugins-expand'),
      // Two shared cores: one scheduler each kind and no busy-waiting.
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '+S 1:1 +SDio 2 +sbwt none +sbwtdcpu none +sbwtdio none',
    },
  };
  nodes.add(node);
  const url = `amqp://guest:guest@${listen}:${amqpPort}`;
  const log = path.join(dir, 'server.log');
  const alive = (): boolean => node.child !== undefined && node.child.exitCode === null && node.child.signalCode === null;

  const start = async (): Promise<void> => {
    if (alive()) return;
    const began = Date.now();
    const fd = fs.openSync(log, 'a');
    const child = spawn(server, [], { cwd: dir, env: node.env, detached: true, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    node.child = child;
    node.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => { fs.appendFileSync(log, `spawn error: ${err.message}\n`); resolve(); });
    });
    while (Date.now() - began < START_TIMEOUT_MS) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`rabbitmq-server exited (${child.exitCode ?? child.signalCode}):\n${tail(log)}\n${tail(path.join(dir, 'log', `${spec.nodename}.log`))}`);
      }
      if (await amqpOk(url)) { rabbit.startupMs = Date.now() - began; return; }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`rabbitmq-server not accepting AMQP after ${START_TIMEOUT_MS} ms:\n${tail(log)}`);
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const child = node.child;
    if (!child?.pid || !alive()) return;
    try { process.kill(-child.pid, signal); } catch { /* gone */ }
    try { process.kill(-child.pid, 'SIGCONT'); } catch { /* gone */ } // a paused node cannot act on SIGTERM
    const force = setTimeout(() => { try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { /* gone */ } }, 20_000);
    await node.exited;
    clearTimeout(force);
  };

  const rabbit: NodeHandle = {
    url,
    dir,
    nodename: spec.nodename,
    env: node.env,
    startupMs: 0,
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    pause: (paused) => { if (node.child?.pid !== undefined && alive()) process.kill(-node.child.pid, paused ? 'SIGSTOP' : 'SIGCONT'); },
    running: alive,
    ctl: (args, tool = 'rabbitmqctl') => new Promise((resolve, reject) => {
      execFile(path.join(RABBITMQ_BIN, tool), ['-n', spec.nodename, ...args], { env: node.env, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${tool} ${args.join(' ')}: ${err.message}\n${stderr}`)); else resolve(stdout);
      });
    }),
    dispose: async () => {
      await halt('SIGTERM');
      killEpmd(node);
      fs.rmSync(dir, { recursive: true, force: true });
      nodes.delete(node);
    },
  };
  if (opts.start === false) return rabbit;
  try {
    await start();
  } catch (err) {
    await rabbit.kill();
    killEpmd(node);
    nodes.delete(node);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return rabbit;
}
