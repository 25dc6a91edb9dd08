// Integration-test helpers: a real apiserver (test/harness/kube.ts) with our CRDs, operators started
// in-process against it, and polling that waits for a state (never for a time).
import path from 'node:path';
import { Writable } from 'node:stream';
import { startKube, type Kube } from './kube.ts';
import { createLogger } from '../../shared/logger.ts';
import { startOperator, type Operator, type OperatorOptions } from '../../operator/manager.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const RECEIVER_NS = 'hookbridge-system';
export const PUBLIC_URL = 'https://hooks.example.test';

export async function startTestKube(opts: { controllerManager?: boolean } = {}): Promise<Kube> {
  const kube = await startKube(opts);
  try {
    await kube.applyCrds(path.join(REPO, 'crds'));
    await must(kube, ['create', 'namespace', RECEIVER_NS]);
  } catch (err) {
    await kube.stop();
    throw err;
  }
  return kube;
}

export async function must(kube: Pick<Kube, 'kubectl'>, args: string[], input?: string): Promise<string> {
  const r = await kube.kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export async function getJson<T = Record<string, any>>(kube: Kube, args: string[]): Promise<T | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await kube.kubectl(['get', ...args, '-o', 'json']);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** Polls `probe` until it returns a value other than undefined/false. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestOperator extends Operator { logs: string[] }

export async function startTestOperator(kube: Kube, overrides: Partial<OperatorOptions> = {}): Promise<TestOperator> {
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const op = await startOperator({
    kubeconfig: kube.kubeconfigPath,
    receiverNamespace: RECEIVER_NS,
    publicUrl: PUBLIC_URL,
    connectorReceiverUrl: 'http://hookbridge-receiver.hookbridge-system.svc:8080',
    connectorImage: 'hookbridge:test',
    missingSecretRecheckMs: 500,
    tokenSettleMs: 300,
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    logger: createLogger({ name: 'operator', level: 'debug', destination: sink }),
    ...overrides,
  });
  return Object.assign(op, { logs });
}

export const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

export type Cond = { type: string; status: string; reason: string; message: string };

export const condition = async (kube: Kube, ns: string, kind: string, name: string, type = 'Ready'): Promise<Cond | undefined> =>
  (await getJson<{ status?: { conditions?: Cond[] } }>(kube, ['-n', ns, kind, name]))?.status?.conditions?.find((c) => c.type === type);

/** Waits for Ready=False with `reason` and returns the condition. */
export const readyReason = (kube: Kube, ns: string, kind: string, name: string, reason: string): Promise<Cond> =>
  waitFor(`${kind} ${ns}/${name} Ready=False ${reason}`, async () => {
    const c = await condition(kube, ns, kind, name);
    return c?.status === 'False' && c.reason === reason ? c : undefined;
  });
