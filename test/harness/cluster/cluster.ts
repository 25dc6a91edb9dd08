// A real single-node Kubernetes for tests and for `make cluster`: the control plane of ../kube.ts
// (etcd, kube-apiserver, the full kube-controller-manager) plus kube-scheduler, a kubelet on containerd +
// runc with the CNI bridge, kube-proxy (iptables) and CoreDNS. Images come only from images.sh (built
// here, imported into containerd): nothing is ever pulled, and nothing resolves or connects outward —
// pods get routes to the pod and Service ranges only, CoreDNS answers cluster.local and NXDOMAIN for the
// rest, and the host drops anything forwarded from the bridge to another interface.
// How each setting came about: ../../../../shared/notes/real-cluster.md (and docs/testing.md).
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ensureBinaries, startKube, type Kube, type KubectlResult, type Launched } from '../kube.ts';
import { freePorts } from '../ports.ts';

export const NODE_NAME = 'hookbridge-node';
export const BRIDGE = 'hb0';
export const NODE_IP = '10.244.0.1';
export const POD_CIDR = '10.244.0.0/24';
export const SERVICE_CIDR = '10.96.0.0/16';
export const DNS_IP = NODE_IP; // CoreDNS runs on the node, bound to the bridge address
const RUN_DIR = '/run/hookbridge-testbed';
const POD_LOGS = '/var/log/pods'; // fixed by the kubelet
const CNI_BIN = '/usr/lib/cni';
const IMAGES_SH = path.join(import.meta.dirname, 'images.sh');
const FW_COMMENT = 'hookbridge-testbed';

export interface Images { pause: string; hookbridge: string; [name: string]: string }

export interface Cluster extends Kube {
  nodeIp: string;
  images: Images;
  /** Image archives by name (OCI), as images.sh left them. */
  archives: Record<string, string>;
  /** The node's log directories (/var/log/pods/<ns>_<pod>_<uid>) of pods whose name starts with `podPrefix`. */
  podDirs(namespace: string, podPrefix: string): string[];
  /** Every log file in a pod's log directory (one container, or all), read from the node. */
  podLog(dir: string, container?: string): string;
  /** `ctr` against the node's containerd (namespace k8s.io). */
  ctr(args: string[]): Promise<KubectlResult>;
}

export interface ClusterOptions {
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

function exec(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, maxBuffer: 64 << 20, timeout: opts.timeoutMs ?? 0 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ stdout, stderr, code: err ? Number(err.code) : 0 });
      });
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input);
  });
}

async function must(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}


/** Runs images.sh (builds what changed) and returns image refs and archives by name. */
export async function buildImages(): Promise<{ images: Images; archives: Record<string, string> }> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [IMAGES_SH], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => code === 0 ? resolve(text) : reject(new Error(`images.sh exited ${code}`)));
  });
  const images: Record<string, string> = {};
  const archives: Record<string, string> = {};
  for (const line of out.trim().split('\n')) {
    const [name, ref, archive] = line.split('=');
    if (name && ref && archive) { images[name] = ref; archives[name] = archive; }
  }
  if (!images.pause || !images.hookbridge) throw new Error(`images.sh printed no pause/hookbridge image:\n${out}`);
  return { images: images as Images, archives };
}

async function setUpNetwork(): Promise<() => Promise<void>> {
  if ((await exec('ip', ['link', 'show', BRIDGE])).code === 0) {
    throw new Error(`${BRIDGE} exists: another test bed is running on this machine (or a killed one left it: \`make cluster-clean\` removes it)`);
  }
  await must('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await must('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', BRIDGE]);
  await must('ip', ['link', 'set', BRIDGE, 'up']);
  // Service addresses are only ever DNATed by kube-proxy; without kube-proxy's rule they must not follow
  // the default route off the machine.
  await must('ip', ['route', 'add', SERVICE_CIDR, 'dev', BRIDGE]);
  // Pods reach each other through Services only when the node forwards between bridge ports …
  const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  // … and nothing from the bridge is ever forwarded anywhere else.
  const fw = ['FORWARD', '-i', BRIDGE, '!', '-o', BRIDGE, '-m', 'comment', '--comment', FW_COMMENT, '-j', 'DROP'];
  await must('iptables', ['-I', ...fw]);
  return async () => {
    cleanNetworkSync();
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
  };
}

function cniConfig(dir: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'hookbridge',
    plugins: [{
      type: 'bridge', bridge: BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: {
        type: 'host-local', dataDir: path.join(dir, 'cni-ipam'),
        ranges: [[{ subnet: POD_CIDR, gateway: NODE_IP, rangeStart: '10.244.0.10' }]],
        routes: [{ dst: SERVICE_CIDR }], // no default route: a pod can reach the node, pods and Services, nothing else
      },
    }],
  }, null, 2);
}

function containerdConfig(dir: string, pauseRef: string): string {
  return `version = 2
root = "${path.join(dir, 'containerd')}"
state = "${RUN_DIR}/containerd"
[grpc]
  address = "${RUN_DIR}/containerd.sock"
[ttrpc]
  address = "${RUN_DIR}/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseRef}"
  # This sandbox lacks CAP_SYS_RESOURCE: kubelet's negative oom_score_adj would make runc fail.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN}"
    conf_dir = "${path.join(dir, 'cni')}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${path.join(dir, 'no-registries')}"
`;
}

function kubeletConfig(dir: string, port: number, healthzPort: number): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: ${port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${healthzPort}
containerRuntimeEndpoint: unix://${RUN_DIR}/containerd.sock
# cgroup v1 (hybrid) with no systemd as PID 1
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: ${path.join(dir, 'ca.crt')}}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
clusterDNS: [${DNS_IP}]
# Pods never see the host's resolvers: only cluster DNS.
resolvConf: ${path.join(dir, 'resolv.conf')}
# Images are imported, never pulled: never garbage-collect them, never evict for disk on a shared machine.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
maxPods: 60
syncFrequency: 10s
# Secrets and ConfigMaps in volumes are refreshed by the kubelet: keep the test of token rotation short.
configMapAndSecretChangeDetectionStrategy: Watch
shutdownGracePeriod: 0s
`;
}

function corefile(kubeconfig: string): string {
  return `cluster.local in-addr.arpa ip6.arpa {
  bind ${DNS_IP}
  errors
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig ${kubeconfig} test
    pods insecure
    ttl 5
  }
}
. {
  bind ${DNS_IP}
  # No forwarding: nothing outside the cluster resolves.
  template ANY ANY {
    rcode NXDOMAIN
  }
}
`;
}

const httpsGet = (url: string): Promise<boolean> => new Promise((resolve) => {
  const req = https.get(url, { rejectUnauthorized: false, timeout: 2_000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
  req.on('error', () => resolve(false)).on('timeout', () => req.destroy());
});
const httpGet = async (url: string): Promise<boolean> => {
  try { return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok; } catch { return false; }
};

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const say = opts.log ?? ((line: string) => process.stderr.write(`cluster: ${line}\n`));
  if (process.getuid?.() !== 0) throw new Error('the cluster test bed needs root (kubelet, containerd, the CNI bridge, iptables)');
  const began = Date.now();
  say('binaries (k8s-bin.sh --node) and images (images.sh)');
  const binDir = await ensureBinaries(['--node']);
  const { images, archives } = await buildImages();
  say(`ready to start after ${Math.round((Date.now() - began) / 1000)} s`);

  // The node address lives on the bridge: it must exist before the apiserver binds to it.
  const undoNetwork = await setUpNetwork();
  let kube: Kube;
  try {
    kube = await startKube({
    address: NODE_IP,
    serviceCidr: SERVICE_CIDR,
    authorizationModes: ['Node', 'RBAC'],
    admission: { enable: ['NodeRestriction'], disable: [] },
    sans: ['IP:10.96.0.1', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'],
    apiserverArgs: (dir) => [
      '--service-node-port-range=32000-32767',
      '--kubelet-preferred-address-types=InternalIP',
      // `kubectl logs/exec` go through the kubelet with this client certificate
      `--kubelet-client-certificate=${path.join(dir, 'apiserver-kubelet.crt')}`, `--kubelet-client-key=${path.join(dir, 'apiserver-kubelet.key')}`,
    ],
    controllerManager: true,
    controllers: ['*'],
    controllerManagerArgs: ['--use-service-account-credentials=true', '--allocate-node-cidrs=false', '--node-monitor-grace-period=20s'],
    startTimeoutMs: 120_000,
    // the apiserver's kubelet client certificate must exist before it starts
    prepare: (dir) => mustCert(dir, 'apiserver-kubelet', '/O=system:masters/CN=kube-apiserver-kubelet-client'),
  }, binDir);
  } catch (err) {
    await undoNetwork();
    throw err;
  }
  const dir = kube.dir;
  const f = (n: string): string => path.join(dir, n);
  // A test process that dies (or Ctrl-C) still removes containers, mounts and the bridge; ../kube.ts's own
  // exit handler, registered earlier, has killed the node's processes by then.
  const onExit = (): void => cleanLeftoversSync(dir);
  process.once('exit', onExit);
  const node: Launched[] = [];
  let stopped = false;
  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const p of [...node].reverse()) if (p.name !== 'containerd') await p.stop().catch(() => undefined);
    killContainersSync();
    for (const p of node) if (p.name === 'containerd') await p.stop().catch(() => undefined);
    unmountSync(dir);
    await kube.stop().catch(() => undefined); // the control plane; removes the temp dir
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(RUN_DIR, { recursive: true, force: true });
    await undoNetwork().catch(() => undefined);
    process.removeListener('exit', onExit);
  };
  try {
    fs.mkdirSync(f('cni'), { recursive: true });
    fs.mkdirSync(f('no-registries'), { recursive: true });
    fs.mkdirSync(RUN_DIR, { recursive: true });
    fs.writeFileSync(f('resolv.conf'), '');
    fs.writeFileSync(f('cni/10-hookbridge.conflist'), cniConfig(dir));
    const launch = async (...args: Parameters<Kube['launch']>): Promise<Launched> => {
      const p = await kube.launch(...args);
      node.push(p);
      return p;
    };

    const [kubeletPort, kubeletHealthz, proxyHealthz, proxyMetrics, schedPort, dnsHealth] = await freePorts(6);

    say('containerd');
    fs.writeFileSync(f('containerd.toml'), containerdConfig(dir, images.pause));
    const ctr = (args: string[]): Promise<KubectlResult> => exec('ctr', ['-a', `${RUN_DIR}/containerd.sock`, '-n', 'k8s.io', ...args]);
    await launch('containerd', 'containerd', ['--config', f('containerd.toml')],
      async () => (await ctr(['version'])).code === 0);
    for (const name of ['pause', 'hookbridge']) {
      await must('ctr', ['-a', `${RUN_DIR}/containerd.sock`, '-n', 'k8s.io', 'images', 'import', '--no-unpack', archives[name]]);
    }
    const listed = (await ctr(['images', 'ls', '-q'])).stdout;
    for (const name of ['pause', 'hookbridge']) {
      if (!listed.split('\n').includes(images[name])) throw new Error(`${images[name]} not in containerd after import:\n${listed}`);
    }

    say('kube-scheduler');
    const schedKubeconfig = await kube.clientKubeconfig('scheduler', '/CN=system:kube-scheduler');
    await launch('kube-scheduler', path.join(binDir, 'kube-scheduler'), [
      `--kubeconfig=${schedKubeconfig}`, `--authentication-kubeconfig=${schedKubeconfig}`, `--authorization-kubeconfig=${schedKubeconfig}`,
      '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${schedPort}`,
    ], () => httpsGet(`https://127.0.0.1:${schedPort}/healthz`));

    say('kubelet');
    const kubeletKubeconfig = await kube.clientKubeconfig('kubelet', `/O=system:nodes/CN=system:node:${NODE_NAME}`);
    fs.writeFileSync(f('kubelet.yaml'), kubeletConfig(dir, kubeletPort, kubeletHealthz));
    await launch('kubelet', path.join(binDir, 'kubelet'), [
      `--config=${f('kubelet.yaml')}`, `--kubeconfig=${kubeletKubeconfig}`, `--root-dir=${f('kubelet-root')}`,
      `--cert-dir=${f('kubelet-certs')}`, `--hostname-override=${NODE_NAME}`, `--node-ip=${NODE_IP}`, '--v=1',
    ], () => httpGet(`http://127.0.0.1:${kubeletHealthz}/healthz`), { timeoutMs: 120_000 });

    say('kube-proxy');
    const proxyKubeconfig = await kube.clientKubeconfig('kube-proxy', '/CN=system:kube-proxy');
    fs.writeFileSync(f('kube-proxy.yaml'), `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${proxyKubeconfig}}
mode: iptables
hostnameOverride: ${NODE_NAME}
bindAddress: ${NODE_IP}
clusterCIDR: ${POD_CIDR}
healthzBindAddress: 127.0.0.1:${proxyHealthz}
metricsBindAddress: 127.0.0.1:${proxyMetrics}
nodePortAddresses: ["${NODE_IP}/32"]
iptables: {masqueradeAll: true, syncPeriod: 10s, minSyncPeriod: 0s}
# leave the host's conntrack sysctls alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`);
    await launch('kube-proxy', path.join(binDir, 'kube-proxy'), [`--config=${f('kube-proxy.yaml')}`, '--v=1'],
      () => httpGet(`http://127.0.0.1:${proxyHealthz}/healthz`), { timeoutMs: 120_000 });

    say('CoreDNS');
    const dnsKubeconfig = await kube.clientKubeconfig('coredns', '/O=system:masters/CN=coredns');
    fs.writeFileSync(f('Corefile'), corefile(dnsKubeconfig).replace('errors\n', `errors\n  health 127.0.0.1:${dnsHealth}\n`));
    await launch('coredns', path.join(binDir, 'coredns'), ['-conf', f('Corefile'), '-dns.port', '53'],
      () => httpGet(`http://127.0.0.1:${dnsHealth}/health`));

    say('waiting for the node to be Ready');
    const waited = await kube.kubectl(['wait', '--for=condition=Ready', `node/${NODE_NAME}`, '--timeout=120s']);
    if (waited.code !== 0) throw new Error(`node not Ready:\n${waited.stderr}\n${tailFile(f('kubelet.log'))}`);
    // Pods need the default ServiceAccount of their namespace (the serviceaccount controller makes it).
    for (let i = 0; i < 120; i++) {
      if ((await kube.kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    say(`up in ${Math.round((Date.now() - began) / 1000)} s`);

    const podDirs = (namespace: string, podPrefix: string): string[] => fs.existsSync(POD_LOGS)
      ? fs.readdirSync(POD_LOGS).filter((d) => d.startsWith(`${namespace}_${podPrefix}`)).map((d) => path.join(POD_LOGS, d))
      : [];
    const podLog = (podDir: string, container?: string): string => {
      const parts: string[] = [];
      for (const c of container ? [container] : fs.readdirSync(podDir)) {
        const cdir = path.join(podDir, c);
        if (!fs.existsSync(cdir)) continue;
        for (const file of fs.readdirSync(cdir).sort()) parts.push(fs.readFileSync(path.join(cdir, file), 'utf8'));
      }
      return parts.join('');
    };
    return { ...kube, nodeIp: NODE_IP, images, archives, podDirs, podLog, ctr, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function tailFile(file: string, lines = 30): string {
  try { return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

async function mustCert(dir: string, name: string, subj: string): Promise<void> {
  const f = (n: string): string => path.join(dir, n);
  await must('openssl', ['req', '-x509', '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-newkey', 'ec', '-pkeyopt',
    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`),
    '-subj', subj, '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=clientAuth']);
}

const syncQuiet = (cmd: string, args: string[]): string => {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }); } catch { return ''; }
};

/**
 * Every container of the node, killed: each pod's containerd shim and the processes it started (a
 * container's init takes its whole PID namespace with it). Killing only containerd or the shims would
 * leave the containers running, reparented to init.
 */
export function killContainersSync(): void {
  const shims = syncQuiet('pgrep', ['-f', `containerd-shim.*${RUN_DIR}/`]).split('\n').filter(Boolean).map(Number);
  for (const shim of shims) {
    for (const child of syncQuiet('pgrep', ['-P', String(shim)]).split('\n').filter(Boolean).map(Number)) {
      try { process.kill(child, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  for (const shim of shims) { try { process.kill(shim, 'SIGKILL'); } catch { /* gone */ } }
}

/** The kubelet's and containerd's mounts (volumes, rootfs, pod network namespaces) under `dir`, lazily unmounted. */
export function unmountSync(dir: string): void {
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m.startsWith(dir) || m.startsWith(RUN_DIR) || m.startsWith('/run/netns/cni-') || m.startsWith('/var/run/netns/cni-')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) syncQuiet('umount', ['-l', m]);
  for (const ns of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns').filter((n) => n.startsWith('cni-')) : []) {
    fs.rmSync(path.join('/run/netns', ns), { force: true });
  }
}

/**
 * Firewall rules, route and bridge of the test bed: our own rule (matched by comment), and every KUBE-*
 * chain kube-proxy and the kubelet made (this machine runs no other Kubernetes), with the jumps to them.
 */
function cleanNetworkSync(): void {
  for (const table of ['filter', 'nat', 'mangle']) {
    const rules = syncQuiet('iptables', ['-t', table, '-S']).split('\n');
    for (const line of rules) {
      if (!line.startsWith('-A ') || !(line.includes(FW_COMMENT) || / -j KUBE-/.test(line)) || /^-A KUBE-/.test(line)) continue;
      // iptables -S quotes comments with spaces; split the way iptables-save writes them.
      const words = [...line.replace(/^-A /, '-D ').matchAll(/"[^"]*"|\S+/g)].map((m) => m[0].replace(/^"|"$/g, ''));
      syncQuiet('iptables', ['-t', table, ...words]);
    }
    const chains = rules.filter((l) => l.startsWith('-N KUBE-')).map((l) => l.slice(3));
    for (const c of chains) syncQuiet('iptables', ['-t', table, '-F', c]);
    for (const c of chains) syncQuiet('iptables', ['-t', table, '-X', c]);
  }
  syncQuiet('ip', ['link', 'del', BRIDGE]);
}

/** Everything a test bed leaves behind, for `make cluster-clean` and for a process that is exiting. */
export function cleanLeftoversSync(dir?: string): void {
  killContainersSync();
  const prefix = path.join(os.tmpdir(), 'hookbridge-kube-');
  unmountSync(dir ?? prefix);
  // Only a test bed's temp dirs (they hold containerd.toml), never an apiserver-only test's.
  const dirs = dir ? [dir] : fs.readdirSync(os.tmpdir()).map((d) => path.join(os.tmpdir(), d))
    .filter((d) => d.startsWith(prefix) && fs.existsSync(path.join(d, 'containerd.toml')));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  fs.rmSync(RUN_DIR, { recursive: true, force: true });
  cleanNetworkSync();
}
