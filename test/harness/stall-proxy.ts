// A loopback TCP proxy that can stall: while paused it keeps every connection open and accepts new ones,
// but forwards nothing either way — an apiserver that has stopped answering without closing anything
// (a hung process, a black-holed network path). TLS passes through untouched.
import net from 'node:net';

export interface StallProxy {
  port: number;
  /** Forwarded connections so far. */
  connections(): number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStallProxy(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<StallProxy> {
  let paused = false;
  let count = 0;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const forward = (from: net.Socket, to: net.Socket) => from.on('data', (chunk: Buffer) => {
    if (!paused) { to.write(chunk); return; }
    from.pause();
    held.push(() => { to.write(chunk); from.resume(); });
  });
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(upstreamPort, upstreamHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
      s.on('error', () => {});
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    pause: () => { paused = true; },
    resume: () => { paused = false; for (const f of held.splice(0)) f(); },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
