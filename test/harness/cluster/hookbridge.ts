// Hookbridge installed the way users install it, on the real node of cluster.ts: a RabbitMQ outside the
// cluster (on the node's bridge address, reached through a selector-less Service like a managed broker),
// its URL in a Secret, and `helm install` of charts/hookbridge from this checkout with the chart defaults
// (2 receivers, 2 operators with leader election), every pod running the image built from our Dockerfile.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { startRabbit, type Rabbit } from '../rabbitmq.ts';
import type { KubectlResult } from '../kube.ts';
import { NODE_IP, type Cluster } from './cluster.ts';

export const CHART = path.join(import.meta.dirname, '..', '..', '..', 'charts', 'hookbridge');
export const NAMESPACE = 'hookbridge';
export const RELEASE = 'hookbridge';

export interface Installed {
  rabbit: Rabbit;
  namespace: string;
  release: string;
  /** helm with the cluster's kubeconfig. */
  helm(args: string[]): Promise<KubectlResult>;
  /** `helm upgrade` of the same release with the same values plus `extra` (`--set k=v` pairs). */
  upgrade(extra?: string[]): Promise<void>;
  /** http://<receiver ClusterIP>:8080 — reachable from the host through kube-proxy. */
  receiverUrl(): Promise<string>;
  /** The admin token the chart generated (the operator reads receiver stats with it). */
  adminToken(): Promise<string>;
  uninstall(): Promise<void>;
}

export interface InstallOptions {
  /** Extra `helm install` arguments (e.g. ['--set', 'receiver.replicas=1']). */
  values?: string[];
  log?: (line: string) => void;
}

function helmRun(cluster: Cluster, args: string[]): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    execFile(path.join(cluster.binDir, 'helm'), args, { env: { ...process.env, ...cluster.env }, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ stdout, stderr, code: err ? Number(err.code) : 0 });
    });
  });
}

export async function ok(p: Promise<KubectlResult>, what: string): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The values every install and upgrade of the test bed uses: the local image, never pulled. */
export function baseValues(cluster: Cluster): string[] {
  const ref = cluster.images.hookbridge;
  const at = ref.lastIndexOf(':');
  return ['--set', `image.repository=${ref.slice(0, at)}`, '--set', `image.tag=${ref.slice(at + 1)}`, '--set', 'image.pullPolicy=Never'];
}

export async function installHookbridge(cluster: Cluster, opts: InstallOptions = {}): Promise<Installed> {
  const say = opts.log ?? ((line: string) => process.stderr.write(`hookbridge: ${line}\n`));
  say('RabbitMQ on the node address');
  const rabbit = await startRabbit({ listen: NODE_IP });
  const amqpPort = Number(new URL(rabbit.url).port);
  const kubectl = cluster.kubectl;
  await ok(kubectl(['create', 'namespace', NAMESPACE]), 'create namespace');
  // A broker outside the cluster, the way a managed RabbitMQ is reached: a Service without a selector and
  // an EndpointSlice naming its address. Pods resolve rabbitmq.hookbridge.svc through CoreDNS.
  await ok(kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: rabbitmq, namespace: ${NAMESPACE}}
spec:
  ports: [{name: amqp, port: 5672, targetPort: ${amqpPort}, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: rabbitmq-external
  namespace: ${NAMESPACE}
  labels: {kubernetes.io/service-name: rabbitmq}
addressType: IPv4
ports: [{name: amqp, port: ${amqpPort}, protocol: TCP}]
endpoints: [{addresses: ["${NODE_IP}"], conditions: {ready: true}}]
`), 'RabbitMQ Service');
  await ok(kubectl(['-n', NAMESPACE, 'create', 'secret', 'generic', 'hookbridge-rabbitmq',
    `--from-literal=url=amqp://guest:guest@rabbitmq.${NAMESPACE}.svc.cluster.local:5672`]), 'RabbitMQ Secret');

  const helm = (args: string[]): Promise<KubectlResult> => helmRun(cluster, args);
  const values = [...baseValues(cluster), ...(opts.values ?? [])];
  say(`helm install ${RELEASE} ${CHART} (image ${cluster.images.hookbridge})`);
  const began = Date.now();
  await ok(helm(['install', RELEASE, CHART, '-n', NAMESPACE, ...values, '--wait', '--timeout', '6m']), 'helm install');
  say(`installed and Available in ${Math.round((Date.now() - began) / 1000)} s`);

  const receiverUrl = async (): Promise<string> => {
    const ip = (await ok(kubectl(['-n', NAMESPACE, 'get', 'service', `${RELEASE}-receiver`, '-o', 'jsonpath={.spec.clusterIP}']), 'receiver Service')).trim();
    return `http://${ip}:8080`;
  };
  return {
    rabbit,
    namespace: NAMESPACE,
    release: RELEASE,
    helm,
    receiverUrl,
    adminToken: async () => {
      const b64 = await ok(kubectl(['-n', NAMESPACE, 'get', 'secret', `${RELEASE}-admin`, '-o', 'jsonpath={.data.token}']), 'admin token');
      return Buffer.from(b64, 'base64').toString('utf8');
    },
    upgrade: async (extra = []) => {
      await ok(helm(['upgrade', RELEASE, CHART, '-n', NAMESPACE, ...values, ...extra, '--wait', '--timeout', '6m']), 'helm upgrade');
    },
    uninstall: async () => {
      await ok(helm(['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '3m']), 'helm uninstall');
    },
  };
}
