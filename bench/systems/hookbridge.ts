// Hookbridge under test: `hookbridge receiver -f <manifests> --rabbitmq-url` and `hookbridge connector`
// (config + mounted-secret files, as the operator would deploy it), each its own process, on the
// harness's RabbitMQ. The connector delivers channel bench/e2e to the destination.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from 'amqplib';
import { parseAllDocuments } from 'yaml';
import { NODE_RUNTIME_FLAGS } from '../../release/runtime-flags.ts';
import { compileConnector, secretFilePath } from '../../shared/api/compile.ts';
import { Subscription } from '../../shared/api/v1alpha1.ts';
import { queueName } from '../../shared/config.ts';
import { freePort, start, waitUntil, type Child } from '../lib/proc.ts';
import type { BenchRabbit } from '../lib/rabbit.ts';
import { benchManifests, NAMESPACE, subscriptionOf } from './hookbridge-manifests.ts';
import { HOOKBRIDGE_RECEIVER, type BenchChannel, type System } from './types.ts';

const CLI = path.join(import.meta.dirname, '../../cli/main.ts');

export interface HookbridgeOptions {
  /** The Subscription's delivery.concurrency, which is also the stream window. */
  concurrency: number;
  /** Extra node flags for the receiver and connector, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  nodeArgs?: string[];
}

export async function startHookbridge(runDir: string, rabbit: BenchRabbit, dest: { url: string; secret: string }, o: HookbridgeOptions): Promise<System> {
  const { concurrency } = o;
  const nodeArgs = (): string[] => [...NODE_RUNTIME_FLAGS, ...(o.nodeArgs ?? [])]; // as the image runs them
  const dir = path.join(runDir, 'hookbridge');
  fs.mkdirSync(path.join(dir, 'manifests'), { recursive: true });
  const token = (): string => `hbt_${randomBytes(32).toString('base64url')}`;
  const manifests = benchManifests({ destinationUrl: dest.url, signingSecret: dest.secret, tokens: { ingest: token(), e2e: token() }, concurrency });
  fs.writeFileSync(path.join(dir, 'manifests', 'bench.yaml'), manifests);
  const env = { HOOKBRIDGE_LOG_LEVEL: 'warn' };
  const { child: receiver, url: receiverUrl } = await startReceiver(runDir, rabbit, { dir, nodeArgs: nodeArgs() });

  const amqp = await connect(rabbit.url.split(',')[0]); // a cluster's URL lists every node; any one purges
  amqp.on('error', () => {});
  const ch = await amqp.createChannel();
  ch.on('error', () => {});
  let connector: Child | undefined;

  return {
    name: 'Hookbridge',
    ingestUrl: (channel) => `${receiverUrl}/webhook/${NAMESPACE}/${channel}`,
    async startDelivery() {
      if (connector) return;
      writeConnectorConfig(dir, manifests, receiverUrl);
      connector = start('hookbridge-connector', CLI, runDir, {
        execArgv: nodeArgs(), cwd: dir, env,
        args: ['connector', '--config', path.join(dir, 'connector.json'), '--secrets-dir', dir, '--metrics-port', '0', '--metrics-host', '127.0.0.1'],
      });
    },
    async stopDelivery() {
      const running = connector;
      connector = undefined;
      await running?.stop();
    },
    async purge(channel: BenchChannel) {
      const sub = { namespace: NAMESPACE, name: subscriptionOf(channel) };
      await ch.purgeQueue(queueName({ namespace: NAMESPACE, name: channel }, sub));
    },
    pids: () => ({ [HOOKBRIDGE_RECEIVER]: receiver.pid, 'hookbridge connector': connector?.pid, 'rabbitmq-server': rabbit.pid }),
    async stop() {
      await amqp.close().catch(() => {});
      await connector?.stop();
      await receiver.stop();
    },
  };
}

export interface ReceiverProcess { child: Child; url: string }

/**
 * `hookbridge receiver -f <dir>/manifests --rabbitmq-url …` as its own process on a free local port, its
 * log in runDir; resolves once /readyz answers (the buffer is connected and the manifests are applied).
 */
export async function startReceiver(runDir: string, rabbit: BenchRabbit, o: { dir: string; nodeArgs?: string[]; extraArgs?: string[] }): Promise<ReceiverProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = start('hookbridge-receiver', CLI, runDir, {
    execArgv: o.nodeArgs ?? [], cwd: o.dir, env: { HOOKBRIDGE_LOG_LEVEL: 'warn' },
    args: ['receiver', '-f', path.join(o.dir, 'manifests'), '--rabbitmq-url', rabbit.url, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn', ...(o.extraArgs ?? [])],
  });
  await waitUntil('receiver /readyz', async () => (await fetch(`${url}/readyz`)).ok, 60_000, child);
  return { child, url };
}

/** The connector's config and its mounted Secrets, exactly as the operator would write them. */
function writeConnectorConfig(dir: string, manifests: string, receiverUrl: string): void {
  const docs = parseAllDocuments(manifests).map((d) => d.toJSON() as { kind: string; metadata: { name: string }; stringData?: Record<string, string> });
  const subs = docs.filter((d) => d.kind === 'Subscription').map((d) => Subscription.parse(d)).filter((s) => s.metadata.name === subscriptionOf('e2e'));
  fs.writeFileSync(path.join(dir, 'connector.json'), JSON.stringify(compileConnector(receiverUrl, subs, 'websocket'), null, 2));
  for (const d of docs.filter((x) => x.kind === 'Secret')) {
    for (const [key, value] of Object.entries(d.stringData ?? {})) {
      const file = path.join(dir, secretFilePath(d.metadata.name, key));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, value, { mode: 0o600 });
    }
  }
}
