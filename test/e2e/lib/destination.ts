// The destination a Subscription points at: a plain HTTP server in the test process that records every
// request (method, path, headers, raw body bytes) and answers 204.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

export class Destination {
  readonly requests: Received[] = [];
  /** The status to answer a request with (default 204): e.g. 410 to make a delivery dead. */
  respond: (r: Received) => number = () => 204;
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      this.requests.push(r);
      res.writeHead(this.respond(r)).end();
    });
  });
  url = '';

  async listen(host = '127.0.0.1', port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => this.#server.listen(port, host, resolve).once('error', reject));
    this.url = `http://${host}:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests by `webhook-id` (the message id); the first of any duplicates. */
  byId(): Map<string, Received> {
    const m = new Map<string, Received>();
    for (const r of this.requests) {
      const id = r.headers['webhook-id'];
      if (typeof id === 'string' && !m.has(id)) m.set(id, r);
    }
    return m;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}
