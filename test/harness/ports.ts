// Ports for every server the tests start: RabbitMQ, etcd, kube-apiserver, receivers, operators, Prometheus.
// Port 0 would hand out a port from the kernel's ephemeral range (32768-60999 here), which any process's
// next outgoing connection can take as its source port between this check and the server binding it —
// seen in CI as RabbitMQ's `dist_port_already_used` while etcd and kube-apiserver were starting beside it.
// Below that range only another listener can take it.
import net from 'node:net';

const LOW = 20_000;
const SPAN = 12_000; // 20000-31999

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** `n` distinct ports that are free right now, below the ephemeral range. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < n; tries++) {
    if (tries > 50 * n) throw new Error(`no ${n} free ports in ${LOW}-${LOW + SPAN - 1}`);
    const port = LOW + Math.floor(Math.random() * SPAN);
    if (!ports.has(port) && await canBind(port)) ports.add(port);
  }
  return [...ports];
}

/** One such port, for a server a test starts itself (`freePorts(1)`). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}
