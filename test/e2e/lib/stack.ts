// The whole Hookbridge stack for an end-to-end test: a real kube-apiserver (+ kube-controller-manager)
// with the chart's CRDs, a real RabbitMQ, and the receiver and operator as local processes wired the way
// the chart wires them (receiver reads its config Secrets, operator polls the receiver's admin stats).
// Processes log to files in a temp dir; `tails()` shows them when something fails.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKube, type Kube } from '../../harness/kube.ts';
import { startRabbit, type Rabbit } from '../../harness/rabbitmq.ts';
import { freePort } from '../../harness/ports.ts';
import { Processes, ROOT } from './processes.ts';
import { metricSum } from './views.ts';
import { eventually, type EventuallyOptions } from '../../harness/eventually.ts';

export class Stack {
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-e2e-'));
  readonly procs = new Processes(this.tmp);
  kube?: Kube;
  rabbit?: Rabbit;
  receiverUrl = '';
  connectorMetricsUrl = '';

  /** Starts kube and RabbitMQ (in parallel), applies the chart's CRDs, creates `namespaces`, starts receiver and operator. */
  async start(o: { receiverNamespace: string; namespaces: string[] }): Promise<this> {
    const [k, r] = await Promise.allSettled([startKube({ controllerManager: true }), startRabbit()]);
    if (k.status === 'fulfilled') this.kube = k.value;
    if (r.status === 'fulfilled') this.rabbit = r.value;
    if (k.status === 'rejected') throw k.reason;
    if (r.status === 'rejected') throw r.reason;
    const kube = k.value;
    await kube.applyCrds(path.join(ROOT, 'charts/hookbridge/crds'));
    for (const ns of [o.receiverNamespace, ...o.namespaces]) await this.kubectl(['create', 'namespace', ns]);

    const adminTokenFile = path.join(this.tmp, 'admin-token');
    fs.writeFileSync(adminTokenFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const [rxPort, opPort] = [await freePort(), await freePort()];
    this.receiverUrl = `http://127.0.0.1:${rxPort}`;
    this.procs.start('receiver', ['receiver', `--port=${rxPort}`, '--host=127.0.0.1', `--kube-namespace=${o.receiverNamespace}`,
      `--kubeconfig=${kube.kubeconfigPath}`, `--rabbitmq-url=${r.value.url}`, `--admin-token-file=${adminTokenFile}`]);
    // The receiver is a local process: its in-cluster URL (admin stats, what connectors dial) and its
    // public URL (status.url) are the same loopback URL.
    this.procs.start('operator', ['operator', `--kubeconfig=${kube.kubeconfigPath}`, `--receiver-namespace=${o.receiverNamespace}`,
      `--public-url=${this.receiverUrl}`, `--receiver-url=${this.receiverUrl}`, `--receiver-admin-token-file=${adminTokenFile}`,
      `--metrics-port=${opPort}`, '--stats-interval=1', '--connector-image=hookbridge:e2e',
      // The connector runs as a local process (not in a pod) and the destination listens on loopback.
      '--connector-allow-loopback', '--destination-allow=127.0.0.0/8']);
    await this.until('receiver ready', async () => (await fetch(`${this.receiverUrl}/readyz`)).ok);
    await this.until('operator ready', async () => (await fetch(`http://127.0.0.1:${opPort}/readyz`)).ok);
    return this;
  }

  get kubeconfig(): string { return (this.kube as Kube).kubeconfigPath; }

  /** Polls like `eventually`, but gives up at once when one of our processes died. */
  until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, o: EventuallyOptions = {}): Promise<T> {
    const abort = (): string | undefined => {
      const dead = this.procs.exited();
      return dead.length > 0 ? `${dead.join(', ')} exited unexpectedly` : undefined;
    };
    return eventually(probe, { message: what, timeoutMs: 60_000, intervalMs: 250, abort, ...o });
  }

  async kubectl(args: string[], input?: string): Promise<string> {
    const r = await (this.kube as Kube).kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  async getJson(args: string[]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return JSON.parse(await this.kubectl(['get', ...args, '-o', 'json']));
  }

  async secretValue(namespace: string, name: string, key: string): Promise<string> {
    return Buffer.from((await this.getJson(['-n', namespace, 'secret', name])).data[key], 'base64').toString('utf8');
  }

  /**
   * `hookbridge connector` with the pod's args (mount paths already made local by the kubelet stand-in);
   * only the metrics port changes (fixed in the pod, a free loopback port here). Resolves once connected.
   */
  async startConnector(podArgs: string[]): Promise<void> {
    const args = [...podArgs];
    const i = args.indexOf('--metrics-port');
    if (i >= 0) args.splice(i, 2);
    const port = await freePort();
    this.procs.start('connector', [...args, '--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
    this.connectorMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    await this.until('connector connected (hookbridge_connector_connected 1)', async () => (await this.connectorMetric('hookbridge_connector_connected')) === 1);
  }

  async connectorMetric(name: string): Promise<number> {
    return metricSum(await (await fetch(this.connectorMetricsUrl)).text(), name);
  }

  async stop(): Promise<void> {
    await this.procs.stopAll();
    await this.rabbit?.dispose();
    await this.kube?.stop();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
