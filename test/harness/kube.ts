// A real Kubernetes control plane for tests (like controller-runtime's envtest): etcd, kube-apiserver
// and optionally kube-controller-manager on free loopback ports in a temp dir. No kubelet: no pod runs.
// test/harness/cluster/ builds a real node (kubelet, containerd, CNI, kube-proxy, CoreDNS) on top of it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { eventually } from './eventually.ts';
import { freePorts } from './ports.ts';

export interface KubectlResult { stdout: string; stderr: string; code: number }

export interface Kube {
  kubeconfigPath: string;
  server: string;
  /** Directory holding etcd, kube-apiserver, kube-controller-manager and helm. */
  binDir: string;
  env: { KUBECONFIG: string; KUBECACHEDIR: string };
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** helm against this apiserver, with its cache, config and data kept in `dir` (never the user's). */
  helm(args: string[]): Promise<KubectlResult>;
  /** `kubectl apply -f dir`, then waits until every CRD in it is Established. */
  applyCrds(dir: string): Promise<void>;
  /** The temp dir holding certs, kubeconfigs and every process's log. */
  dir: string;
  /** Starts one more process beside the control plane (stopped before it, in reverse order), waits for `ready`. */
  launch(name: string, bin: string, args: string[], ready?: () => Promise<boolean>, opts?: { timeoutMs?: number }): Promise<Launched>;
  /** A client certificate and key (`<name>.crt`, `<name>.key`) signed by the cluster CA; returns a kubeconfig path for it. */
  clientKubeconfig(name: string, subject: string): Promise<string>;
  /** An apiserver outage: stops kube-apiserver (etcd keeps the data); startApiserver() brings it back on the same port. */
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  stop(): Promise<void>;
}

export interface Launched {
  name: string;
  log: string;
  pid: number | undefined;
  /** SIGTERM (SIGKILL after 5 s) and wait for the exit. */
  stop(): Promise<void>;
  exited(): boolean;
}

export interface KubeOptions {
  controllerManager?: boolean;
  /** kube-controller-manager --controllers; defaults to DEFAULT_CONTROLLERS. */
  controllers?: string[];
  /** Address the apiserver binds to and advertises (default 127.0.0.1; a real node needs a routable one). */
  address?: string;
  /** --service-cluster-ip-range (default 10.0.0.0/24). */
  serviceCidr?: string;
  /** Extra subjectAltNames for the apiserver's serving certificate (`IP:…`, `DNS:…`). */
  sans?: string[];
  /** --authorization-mode (default RBAC). */
  authorizationModes?: string[];
  /** Admission plugins (default: ServiceAccount disabled, as no controller makes ServiceAccounts without the full kube-controller-manager). */
  admission?: { enable?: string[]; disable?: string[] };
  /** Appended to kube-apiserver's flags (list flags such as the two above accumulate: use the options); a function gets the temp dir. */
  apiserverArgs?: string[] | ((dir: string) => string[]);
  /** Runs after the certificates are made and before etcd starts (e.g. to add files the flags name). */
  prepare?: (dir: string) => Promise<void>;
  /** Appended to kube-controller-manager's flags. */
  controllerManagerArgs?: string[];
  /** How long each process may take to become ready (default 60 s). */
  startTimeoutMs?: number;
}

export const DEFAULT_CONTROLLERS = ['garbagecollector', 'namespace', 'serviceaccount', 'serviceaccount-token'];
const SCRIPT = path.join(import.meta.dirname, 'k8s-bin.sh');
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const START_TIMEOUT_MS = 60_000;

/** The versions pinned at the top of k8s-bin.sh (one source of truth). */
export function pinnedVersions(): { k8s: string; etcd: string; helm: string } {
  const text = fs.readFileSync(SCRIPT, 'utf8');
  const pin = (name: string): string => {
    const m = new RegExp(`^${name}=(\\S+)`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`${name} not pinned in ${SCRIPT}`);
    return m[1];
  };
  return { k8s: pin('K8S_VERSION'), etcd: pin('ETCD_VERSION'), helm: pin('HELM_VERSION') };
}

interface Proc { name: string; child: ChildProcess; log: string; exited: Promise<void> }
const live = new Set<Proc>();
const tempDirs = new Set<string>();

function killAllSync(): void {
  for (const p of live) killGroup(p, 'SIGKILL');
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* still mounted: whoever mounted it unmounts and removes it */ }
  }
}
process.once('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143)); // 'exit' then cleans up
}

function killGroup(p: Proc, signal: NodeJS.Signals): void {
  if (p.child.pid === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  try { process.kill(-p.child.pid, signal); } catch { /* already gone */ }
}

async function stopProc(p: Proc): Promise<void> {
  killGroup(p, 'SIGTERM');
  const timer = setTimeout(() => killGroup(p, 'SIGKILL'), 5_000);
  await p.exited;
  clearTimeout(timer);
  live.delete(p);
}

/** If this node process dies without its exit handlers (SIGKILL), kills the child's group and removes dir. */
function watchdog(pid: number, dir: string): void {
  const script = 'while kill -0 "$1" && kill -0 "$2"; do sleep 1; done 2>/dev/null; kill -0 "$1" 2>/dev/null ||' +
    ' { kill -KILL -- "-$2" 2>/dev/null; rm -rf "$3"; }';
  spawn('bash', ['-c', script, 'watchdog', String(process.pid), String(pid), dir], { detached: true, stdio: 'ignore' }).unref();
}

function startProc(name: string, bin: string, args: string[], dir: string): Proc {
  const log = path.join(dir, `${name}.log`);
  const fd = fs.openSync(log, 'a');
  const child = spawn(bin, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (child.pid !== undefined) watchdog(child.pid, dir);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => { fs.appendFileSync(log, `spawn error: ${err.message}\n`); resolve(); });
  });
  const p: Proc = { name, child, log, exited };
  live.add(p);
  return p;
}

function tail(file: string, lines = 40): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

/** Polls `ready` until it is true; throws with the log's tail if the process dies or time runs out. */
async function waitReady(p: Proc, ready: () => Promise<boolean>, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  await eventually(ready, {
    timeoutMs, intervalMs: 200,
    message: () => `${p.name} ready (log tail:\n${tail(p.log)}\n)`,
    abort: () => (p.child.exitCode !== null || p.child.signalCode !== null ? `exited (${p.child.exitCode ?? p.child.signalCode})` : undefined),
  });
}

function httpsOk(url: string, tls: https.RequestOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(url, { ...tls, timeout: 2_000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false)).on('timeout', () => req.destroy());
  });
}

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: opts.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ stdout, stderr, code: err ? Number(err.code) : 0 });
    });
    child.stdin?.on('error', () => { /* the command may exit without reading its input */ });
    child.stdin?.end(opts.input);
  });
}

/** The stdout of a command that must succeed (its stderr is the failure message). */
export async function succeeded(p: Promise<KubectlResult>): Promise<string> {
  const r = await p;
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** Runs k8s-bin.sh (builds on first use; its progress goes to our stderr) and returns the bin dir. */
export function ensureBinaries(args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => code === 0 ? resolve(out.trim()) : reject(new Error(`k8s-bin.sh exited ${code}`)));
  });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

function leafCert(dir: string, name: string, subj: string, ext: string[]): Promise<string> {
  const f = (n: string): string => path.join(dir, n);
  return must('openssl', [
    'req', '-x509', '-CA', f('ca.crt'), '-CAkey', f('ca.key'), ...EC, '-keyout', f(`${name}.key`),
    '-out', f(`${name}.crt`), '-subj', subj, '-addext', 'basicConstraints=critical,CA:FALSE', ...ext]);
}

const clientCert = (dir: string, name: string, subj: string): Promise<string> =>
  leafCert(dir, name, subj, ['-addext', 'extendedKeyUsage=clientAuth']);

/** CA, apiserver serving cert, service-account key pair, and client certs in system:masters. */
async function makeCerts(dir: string, sans: string[]): Promise<void> {
  const f = (n: string): string => path.join(dir, n);
  await must('openssl', ['req', '-x509', ...EC, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', '/CN=hookbridge-test-ca']);
  await leafCert(dir, 'apiserver', '/CN=kube-apiserver', ['-addext', `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...sans].join(',')}`,
    '-addext', 'extendedKeyUsage=serverAuth']);
  await clientCert(dir, 'admin', '/O=system:masters/CN=hookbridge-admin');
  await clientCert(dir, 'kcm', '/O=system:masters/CN=system:kube-controller-manager');
  await must('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', f('sa.key')]);
  await must('openssl', ['pkey', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub')]);
}

function kubeconfig(server: string, dir: string, user: string): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "${server}", certificate-authority: "${path.join(dir, 'ca.crt')}"}}]
users: [{name: ${user}, user: {client-certificate: "${path.join(dir, `${user}.crt`)}", client-key: "${path.join(dir, `${user}.key`)}"}}]
contexts: [{name: test, context: {cluster: test, user: ${user}, namespace: default}}]
current-context: test
`;
}

export async function startKube(opts: KubeOptions = {}, binDirGiven?: string): Promise<Kube> {
  const binDir = binDirGiven ?? await ensureBinaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-kube-'));
  tempDirs.add(dir);
  const procs: Proc[] = [];
  const f = (n: string): string => path.join(dir, n);
  const launch = (name: string, args: string[]): Proc => {
    procs.push(startProc(name, path.join(binDir, name), args, dir));
    return procs[procs.length - 1];
  };
  const stop = async (): Promise<void> => {
    for (const p of [...procs].reverse()) await stopProc(p);
    fs.rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };
  const timeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
  const address = opts.address ?? '127.0.0.1';
  try {
    await makeCerts(dir, [...(address === '127.0.0.1' ? [] : [`IP:${address}`]), ...(opts.sans ?? [])]);
    await opts.prepare?.(dir);
    const [etcdPort, peerPort, apiPort, kcmPort] = await freePorts(4);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = launch('etcd', [
      `--data-dir=${f('etcd')}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`, '--unsafe-no-fsync', '--log-level=warn',
    ]);
    await waitReady(etcd, async () => (await fetch(`${etcdUrl}/health`)).ok, timeoutMs);
    const server = `https://${address}:${apiPort}`;
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`, `--bind-address=${address}`, `--advertise-address=${address}`,
      `--secure-port=${apiPort}`, `--cert-dir=${f('apiserver-certs')}`,
      `--tls-cert-file=${f('apiserver.crt')}`, `--tls-private-key-file=${f('apiserver.key')}`,
      `--client-ca-file=${f('ca.crt')}`, '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${f('sa.pub')}`, `--service-account-signing-key-file=${f('sa.key')}`,
      `--authorization-mode=${(opts.authorizationModes ?? ['RBAC']).join(',')}`, `--service-cluster-ip-range=${opts.serviceCidr ?? '10.0.0.0/24'}`,
      `--enable-admission-plugins=${(opts.admission?.enable ?? []).join(',')}`,
      `--disable-admission-plugins=${(opts.admission?.disable ?? ['ServiceAccount']).join(',')}`, '--allow-privileged=true',
      ...(typeof opts.apiserverArgs === 'function' ? opts.apiserverArgs(dir) : opts.apiserverArgs ?? []),
    ];
    const tls = { ca: fs.readFileSync(f('ca.crt')), cert: fs.readFileSync(f('admin.crt')), key: fs.readFileSync(f('admin.key')) };
    let api = launch('kube-apiserver', apiArgs);
    await waitReady(api, () => httpsOk(`${server}/readyz`, tls), timeoutMs);
    // Restarted in its place in `procs`, so stop() still stops it after what was launched beside it.
    let apiAt = procs.indexOf(api);
    const stopApiserver = async (): Promise<void> => {
      if (!procs.includes(api)) return;
      apiAt = procs.indexOf(api);
      await stopProc(api);
      procs.splice(apiAt, 1);
    };
    const startApiserver = async (): Promise<void> => {
      if (procs.includes(api)) return;
      api = startProc('kube-apiserver', path.join(binDir, 'kube-apiserver'), apiArgs, dir);
      procs.splice(apiAt, 0, api);
      await waitReady(api, () => httpsOk(`${server}/readyz`, tls), timeoutMs);
    };
    const kubeconfigPath = f('admin.kubeconfig');
    fs.writeFileSync(kubeconfigPath, kubeconfig(server, dir, 'admin'));

    if (opts.controllerManager) {
      const kcmConfig = f('kcm.kubeconfig');
      fs.writeFileSync(kcmConfig, kubeconfig(server, dir, 'kcm'));
      const kcm = launch('kube-controller-manager', [
        `--kubeconfig=${kcmConfig}`, `--authentication-kubeconfig=${kcmConfig}`, `--authorization-kubeconfig=${kcmConfig}`,
        `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(',')}`, '--leader-elect=false',
        '--use-service-account-credentials=false', `--service-account-private-key-file=${f('sa.key')}`,
        `--root-ca-file=${f('ca.crt')}`, '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, `--cert-dir=${f('kcm-certs')}`,
        ...(opts.controllerManagerArgs ?? []),
      ]);
      await waitReady(kcm, () => httpsOk(`https://127.0.0.1:${kcmPort}/healthz`, { rejectUnauthorized: false }), timeoutMs);
    }
    const launchMore = async (name: string, bin: string, args: string[], ready?: () => Promise<boolean>,
      o: { timeoutMs?: number } = {}): Promise<Launched> => {
      const p = startProc(name, bin, args, dir);
      procs.push(p);
      if (ready) await waitReady(p, ready, o.timeoutMs ?? timeoutMs);
      return {
        name, log: p.log, pid: p.child.pid,
        stop: () => stopProc(p),
        exited: () => p.child.exitCode !== null || p.child.signalCode !== null,
      };
    };
    const clientKubeconfig = async (name: string, subject: string): Promise<string> => {
      await clientCert(dir, name, subject);
      const file = f(`${name}.kubeconfig`);
      fs.writeFileSync(file, kubeconfig(server, dir, name));
      return file;
    };

    const env = { KUBECONFIG: kubeconfigPath, KUBECACHEDIR: f('kube-cache') };
    const kubectl = (args: string[], input?: string): Promise<KubectlResult> =>
      run(KUBECTL, args, { input, env: { ...process.env, ...env } });
    const helmEnv = { ...process.env, ...env, HELM_CACHE_HOME: f('helm/cache'), HELM_CONFIG_HOME: f('helm/config'), HELM_DATA_HOME: f('helm/data') };
    const helm = (args: string[]): Promise<KubectlResult> => run(path.join(binDir, 'helm'), args, { env: helmEnv });
    const applyCrds = async (crdDir: string): Promise<void> => {
      const applied = await kubectl(['apply', '-f', crdDir, '-o', 'name']);
      if (applied.code !== 0) throw new Error(`kubectl apply -f ${crdDir} failed:\n${applied.stderr}`);
      const crds = applied.stdout.split('\n').filter((n) => n.startsWith('customresourcedefinition'));
      if (crds.length === 0) return;
      const waited = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds]);
      if (waited.code !== 0) throw new Error(`CRDs not established:\n${waited.stderr}`);
    };
    return { kubeconfigPath, server, binDir, env, kubectl, helm, applyCrds, dir, launch: launchMore, clientKubeconfig, stopApiserver, startApiserver, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
