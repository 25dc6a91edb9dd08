// The one probes-and-metrics endpoint set of every Hookbridge process: /healthz (the process answers),
// /readyz (the process's own readiness: the reasons it is not ready, none when it is) and /metrics. The
// connector and the operator serve them with startProbeServer on their metrics port; the receiver serves
// the same answers from its public app (receiver/health.ts), where they share a port with ingest.
// Kubernetes probes look only at the status code; the JSON body is for people and scripts, and is the
// same everywhere: {"status":"ok"}, {"status":"ready"}, {"status":"not_ready","reasons":[...]}.
import http from 'node:http';
import type { Registry } from 'prom-client';
import { closeNow, listen } from './listen.ts';

/** Why the process is not ready; an empty list means ready. Called on every /readyz, so keep it cheap. */
export type Readiness = () => readonly string[];

export interface ProbeAnswer { status: number; body: { status: string; reasons?: readonly string[] } }

export const livenessAnswer = (): ProbeAnswer => ({ status: 200, body: { status: 'ok' } });

export function readinessAnswer(reasons: readonly string[]): ProbeAnswer {
  return reasons.length === 0 ? { status: 200, body: { status: 'ready' } } : { status: 503, body: { status: 'not_ready', reasons } };
}

export interface ProbeServerOptions {
  port: number;
  /** Address to bind (default all). */
  host?: string;
  registry: Registry;
  readiness: Readiness;
}

export interface ProbeServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  readonly server: http.Server;
  close(): Promise<void>;
}

export async function startProbeServer(o: ProbeServerOptions): Promise<ProbeServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
      );
      return;
    }
    const answer = path === '/healthz' ? livenessAnswer() : path === '/readyz' ? readinessAnswer(o.readiness()) : undefined;
    if (!answer) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return; }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  const port = await listen(server, o.port, o.host ?? '0.0.0.0');
  return { port, server, close: () => closeNow(server) };
}
