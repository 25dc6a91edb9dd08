// The admission webhook's HTTPS server: `POST /mutate` answers AdmissionReviews with admission.ts,
// `GET /healthz` for probes. The certificate is swapped in place on rotation (setSecureContext): open
// connections keep the one they negotiated, new ones get the new one, and no port is ever closed.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadReview, review, type AdmissionContext, type AdmissionOutcome } from './admission.ts';
import { closeNow, listen } from '../../shared/process/listen.ts';

/** The apiserver sends at most a pod (etcd's 1.5 MiB object limit) plus its old version on updates: 6 MiB is ample. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface WebhookServerOptions extends AdmissionContext {
  cert: string;
  key: string;
  port: number;
  host?: string;
  /** Told about every answered review (injector.ts counts and logs them). Must not throw. */
  onReview?: (outcome: AdmissionOutcome) => void;
  /** Told about requests that could not be answered as a review (bad body, too large). */
  onError?: (err: Error) => void;
}

export interface WebhookServer {
  port: number;
  /** Serve this certificate to new connections from now on. */
  setCertificate(cert: string, key: string): void;
  close(): Promise<void>;
  server: Server;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) { reject(Object.assign(new Error('request body too large'), { status: 413 })); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const send = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz' && req.method === 'GET') { send(res, 200, { ok: true }); return; }
    if (path !== '/mutate') { send(res, 404, { error: 'not found' }); return; }
    if (req.method !== 'POST') { res.setHeader('allow', 'POST'); send(res, 405, { error: 'POST only' }); return; }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) { send(res, 415, { error: 'application/json only' }); return; }
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8'));
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      o.onError?.(err as Error);
      if (!res.headersSent && !res.destroyed) send(res, status, { error: (err as Error).message });
      return;
    }
    try {
      const outcome = review(body, o);
      send(res, 200, outcome.review);
      try { o.onReview?.(outcome); } catch { /* an observer's failure is not the apiserver's problem */ }
    } catch (err) {
      o.onError?.(err as Error);
      // No uid to answer to: the apiserver applies the webhook's failure policy (Ignore).
      send(res, err instanceof BadReview ? 400 : 500, { error: (err as Error).message });
    }
  };
  const server = createServer({ cert: o.cert, key: o.key, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((err: Error) => { o.onError?.(err); if (!res.headersSent) send(res, 500, { error: 'internal error' }); });
  });
  // The apiserver's default webhook timeout is 10 s; a client that has not sent its request by then is gone.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  const port = await listen(server, o.port, o.host ?? '0.0.0.0');
  return {
    port,
    server,
    setCertificate(cert: string, key: string): void { server.setSecureContext({ cert, key, minVersion: 'TLSv1.2' }); },
    close: () => closeNow(server),
  };
}
