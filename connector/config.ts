// The connector's configuration: shared/config.ts ConnectorConfig as JSON (the operator writes it into
// the connector ConfigMap's config.json). Validated here so a bad file fails loudly at start, and a bad
// update is rejected while the running configuration keeps working.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { ConnectorConfig } from '../shared/config.ts';
import { EventTypeSource } from '../shared/api/v1alpha1.ts';

const Key = z.object({ namespace: z.string().min(1), name: z.string().min(1) });

const Subscription = Key.extend({
  channel: Key,
  tokenFile: z.string().min(1),
  destination: z.object({ url: z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'an absolute http(s) URL') }),
  delivery: z.object({
    timeoutMs: z.number().int().positive(),
    maxAttempts: z.number().int().min(1),
    retryScheduleMs: z.array(z.number().nonnegative()).min(1),
    jitter: z.number().min(0).max(1),
    concurrency: z.number().int().min(1).max(1000),
    rateLimitPerSecond: z.number().positive().optional(),
    ordering: z.enum(['none', 'perKey']),
    keyFrom: EventTypeSource.optional(),
    circuitBreaker: z.object({ failureRatio: z.number().gt(0).max(1), minRequests: z.number().int().min(1), openMs: z.number().int().positive() }).optional(),
  }),
  signing: z.object({ scheme: z.enum(['standard-webhooks', 'hmac-sha256']), secretFiles: z.array(z.string().min(1)) }),
  transform: z.object({ format: z.enum(['raw', 'zapier', 'make', 'convertkit', 'template']), template: z.string().optional(), includeMessageId: z.boolean().optional() }).optional(),
});

export const ConnectorConfigSchema = z.object({
  receiverUrl: z.string().refine((u) => URL.canParse(u) && /^(https?|wss?):$/.test(new URL(u).protocol), 'an absolute http(s) or ws(s) URL'),
  transport: z.enum(['websocket', 'sse']).default('websocket'),
  allowedDestinations: z.array(z.string()).optional(),
  subscriptions: z.array(Subscription),
});

export function parseConnectorConfig(doc: unknown): ConnectorConfig {
  const r = ConnectorConfigSchema.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid connector config: ${issues}`);
  }
  return r.data as ConnectorConfig;
}

export async function loadConnectorConfig(path: string): Promise<ConnectorConfig> {
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (err) { throw new Error(`${path}: not JSON: ${(err as Error).message}`); }
  return parseConnectorConfig(doc);
}

/** Secret file paths in the config are relative to --secrets-dir (absolute ones are kept). */
export const secretPath = (secretsDir: string, file: string): string => (isAbsolute(file) ? file : resolve(secretsDir, file));
