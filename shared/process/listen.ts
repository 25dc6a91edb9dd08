// Binding and closing the HTTP(S) servers every process runs (probes, ingest, the admission webhook,
// echo). listen() rejects on a bind error (a port in use) instead of leaving it to an 'error' event
// nobody listens to; closeNow() also ends keep-alive connections, which server.close() alone waits for.
import type { AddressInfo, Server } from 'node:net';

/** Listens on `port` (0: any free one) and resolves with the bound port. */
export function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting and drops every open connection, idle or not; resolves once the server is closed. */
export function closeNow(server: Server & { closeAllConnections(): void }): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
