// A real three-node RabbitMQ cluster on this machine, for the tests that must show what a replicated
// broker does when a node goes: every node is one of test/harness/rabbitmq.ts's isolated nodes (own temp
// dir, AMQP and distribution ports, node name), and the cluster's nodes share one Erlang cookie and one
// epmd (a node looks its peers up in the epmd on its own ERL_EPMD_PORT, so per-node epmds would never
// find each other). They join through classic-config peer discovery, started one after the other so
// each new node finds a running cluster to join (started together, blank nodes may each form their own).
// Quorum queues get three replicas by RabbitMQ's default (quorum_cluster_size 3), streams one per node.
// net_ticktime is 10 s (default 60) so a paused node is noticed within a test's patience, and a minority
// pauses itself (pause_minority), as the RabbitMQ Cluster Operator configures it.
// With `RABBITMQ_URL` listing several nodes (comma-separated), that cluster is used instead, and every
// per-node fault throws.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { freePorts } from './ports.ts';
import { launchNode, portTaken, RABBITMQ_BIN, type NodeHandle } from './rabbitmq.ts';

/** Seconds without an answer before peers count a node as down: 3/4 to 5/4 of it. */
export const NET_TICKTIME_S = 10;

export interface QueueInfo { name: string; type: string; leader: string; members: string[]; online: string[] }

export interface RabbitCluster {
  /** Every node's AMQP URL, comma-separated: what `--rabbitmq-url` takes. */
  url: string;
  urls: string[];
  nodes: NodeHandle[];
  /** The node an AMQP URL (or just its port) belongs to. */
  nodeOf(urlOrPort: string | number): NodeHandle | undefined;
  /** `rabbitmqctl <args>` through the first running node; stdout. */
  ctl(args: string[]): Promise<string>;
  /** Queues with their type, leader and replicas (`rabbitmqctl list_queues name type leader members online`). */
  queues(): Promise<QueueInfo[]>;
  /** The node leading a quorum queue or stream right now. */
  leaderOf(queue: string): Promise<NodeHandle | undefined>;
  /** Asks a quorum queue's leader (vhost /) to hand leadership to `to`; resolves once `to` leads it. */
  moveLeader(queue: string, to: NodeHandle): Promise<void>;
  /** Starts every node that is down and resumes every paused one, in parallel. */
  startAll(): Promise<void>;
  /** Stops every node and removes the temp dirs and the shared epmd. */
  dispose(): Promise<void>;
  /** Milliseconds the cluster took to form at start. */
  startupMs: number;
}

function external(list: string): RabbitCluster {
  const urls = list.split(',').map((u) => u.trim()).filter(Boolean);
  const unsupported = (): Promise<never> => Promise.reject(new Error('RABBITMQ_URL is set: the harness cannot reach into an external cluster; unset it to let tests start their own'));
  return {
    url: urls.join(','), urls, nodes: [], startupMs: 0, nodeOf: () => undefined,
    ctl: unsupported, queues: unsupported, leaderOf: unsupported, moveLeader: unsupported, startAll: unsupported, dispose: async () => {},
  };
}

export async function startRabbitCluster(size = 3): Promise<RabbitCluster> {
  if (process.env.RABBITMQ_URL) return external(process.env.RABBITMQ_URL);
  if (!fs.existsSync(`${RABBITMQ_BIN}/rabbitmqctl`)) throw new Error('rabbitmqctl not installed (run test/harness/setup.sh)');
  for (let attempt = 1; ; attempt++) {
    try { return await form(size); } catch (err) { if (attempt >= 3 || !portTaken(err)) throw err; }
  }
}

async function form(size: number): Promise<RabbitCluster> {
  const began = Date.now();
  const ports = await freePorts(2 * size + 1);
  const epmdPort = ports[2 * size];
  const id = randomBytes(4).toString('hex');
  const names = Array.from({ length: size }, (_, i) => `rabbit-${id}-${i + 1}@localhost`);
  const cookie = randomBytes(20).toString('hex').toUpperCase();
  const conf = [
    'cluster_formation.peer_discovery_backend = classic_config',
    ...names.map((n, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${n}`),
    `net_ticktime = ${NET_TICKTIME_S}`,
    'cluster_partition_handling = pause_minority',
  ];
  const nodes: NodeHandle[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push(await launchNode({ listen: '127.0.0.1', nodename: names[i], amqpPort: ports[2 * i], distPort: ports[2 * i + 1], epmdPort, cookie, conf }, { start: false }));
  }
  const paused = new Set<NodeHandle>();
  const dispose = async (): Promise<void> => {
    for (const n of nodes) n.pause(false);
    // The last one stops with the shared epmd (each dispose runs `epmd -kill`), so one at a time.
    await Promise.all(nodes.slice(1).map((n) => n.stop()));
    for (const n of nodes) await n.dispose();
  };
  try {
    for (const n of nodes) await n.start(); // one after the other: each joins the running ones
  } catch (err) {
    await dispose();
    throw err;
  }

  const ctl = (args: string[]): Promise<string> => {
    const via = nodes.find((n) => n.running() && !paused.has(n));
    return via ? via.ctl(args) : Promise.reject(new Error('no running node to ask'));
  };
  const queues = async (): Promise<QueueInfo[]> => {
    const out = await ctl(['list_queues', '-q', '--formatter', 'json', 'name', 'type', 'leader', 'members', 'online']);
    return (JSON.parse(out) as Record<string, unknown>[]).map((q) => ({
      name: String(q.name), type: String(q.type), leader: String(q.leader ?? ''),
      members: Array.isArray(q.members) ? q.members.map(String) : [], online: Array.isArray(q.online) ? q.online.map(String) : [],
    }));
  };
  const cluster: RabbitCluster = {
    url: nodes.map((n) => n.url).join(','),
    urls: nodes.map((n) => n.url),
    nodes,
    startupMs: Date.now() - began,
    nodeOf: (u) => {
      const port = typeof u === 'number' ? u : Number(new URL(u).port);
      return nodes.find((n) => Number(new URL(n.url).port) === port);
    },
    ctl: (args) => ctl(args),
    queues,
    leaderOf: async (queue) => {
      const q = (await queues()).find((x) => x.name === queue);
      return nodes.find((n) => n.nodename === q?.leader);
    },
    moveLeader: async (queue, to) => {
      const name = JSON.stringify(queue).slice(1, -1);
      // A quorum queue's pid is {RaName, LeaderNode}; ra hands leadership over and the new leader is elected.
      const expr = `{ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"/">>, queue, <<"${name}">>)), {Ra, Leader} = amqqueue:get_pid(Q), ra:transfer_leadership({Ra, Leader}, {Ra, '${to.nodename}'}).`;
      for (let tries = 0; ; tries++) {
        if ((await cluster.leaderOf(queue).catch(() => undefined)) === to) return;
        if (tries >= 30) throw new Error(`${to.nodename} did not take over ${queue}`);
        await ctl(['eval', expr]).catch(() => {});
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    startAll: async () => {
      for (const n of paused) n.pause(false);
      paused.clear();
      await Promise.all(nodes.map((n) => n.start()));
    },
    dispose,
  };
  // Pausing goes through the cluster so that ctl() never asks a frozen node (it would hang until timeout).
  for (const n of nodes) {
    const pause = n.pause;
    n.pause = (p: boolean): void => { if (p) paused.add(n); else paused.delete(n); pause(p); };
  }
  return cluster;
}
