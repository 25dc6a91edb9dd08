// Probes and scrape endpoint (SPEC §4): /health for people and scripts, /healthz (the process answers),
// /readyz (buffer connected and not blocked by a resource alarm, configuration loaded once and declared),
// /metrics. Ingest needs the buffer and the configuration it has, not the config source: a Kubernetes
// watch that is down after the first load is shown on /health (`config.watch: "down"`) and as
// hookbridge_config_source_up 0, and the receiver stays ready with the last configuration (issue 8: an
// apiserver outage made every receiver NotReady, so the Service had no endpoints although ingest never
// needed the apiserver). /healthz and /readyz answer as every Hookbridge process does (shared/process/probes.ts).
import type { Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { livenessAnswer, readinessAnswer, type ProbeAnswer } from '../shared/process/probes.ts';
import type { MessageBuffer } from './buffer/types.ts';
import type { ConfigStore } from './config/store.ts';

export interface HealthDeps {
  buffer: MessageBuffer;
  config: ConfigStore;
  registry: Registry;
  /** Extra readiness checks (e.g. the Kubernetes config never listed); a string is the reason it is not ready. */
  readinessChecks(): string[];
  /** Where the configuration comes from and whether it is followed now, for /health. */
  configSource?: ConfigSourceStatus;
}

/** A configuration source that can fall behind without making the receiver unready (the Kubernetes watch). */
export interface ConfigSourceStatus {
  /** false while the source cannot be followed (the last configuration keeps serving). */
  following(): boolean;
  describe(): Record<string, unknown>;
}

export function readiness(deps: HealthDeps): string[] {
  const reasons: string[] = [];
  if (!deps.buffer.isConnected()) reasons.push('buffer disconnected');
  const blocked = deps.buffer.blocked();
  if (blocked) reasons.push(`buffer blocked: RabbitMQ refuses writes (${blocked})`);
  if (!deps.config.loaded) reasons.push('configuration not loaded');
  const pending = deps.config.pendingDeclarations;
  if (pending.length > 0) reasons.push(`topology not declared for ${pending.join(', ')}`);
  return [...reasons, ...deps.readinessChecks()];
}

export function healthRoutes(deps: HealthDeps): Record<string, (req: Request, res: Response) => void | Promise<void>> {
  return {
    '/health': (_req, res) => {
      const connected = deps.buffer.isConnected();
      const blocked = connected ? deps.buffer.blocked() : undefined;
      const healthy = connected && !blocked;
      res.status(healthy ? 200 : 503).json({
        status: healthy ? 'healthy' : 'degraded',
        // The broker's reason stays in /readyz: /health is reachable through the public Ingress.
        buffer: blocked ? 'blocked' : connected ? 'connected' : 'disconnected',
        channels: deps.config.snapshot.channels.size,
        ...(deps.configSource && { config: deps.configSource.describe() }),
      });
    },
    '/healthz': (_req, res) => { send(res, livenessAnswer()); },
    '/readyz': (_req, res) => { send(res, readinessAnswer(readiness(deps))); },
    '/metrics': async (_req, res) => {
      const text = await deps.registry.metrics();
      res.setHeader('content-type', deps.registry.contentType);
      res.end(text);
    },
  };
}

function send(res: Response, answer: ProbeAnswer): void {
  res.status(answer.status).json(answer.body);
}
