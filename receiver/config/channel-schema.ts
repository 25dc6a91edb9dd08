// Validates a ChannelConfig that arrives as JSON from outside the process (the operator's `channel.json`
// Secrets): a malformed one is skipped with a log line instead of breaking every other channel.
import { z } from 'zod';
import { EventTypeSource, VerifyProviders } from '../../shared/api/v1alpha1.ts';
import type { ChannelConfig } from '../../shared/config.ts';

const name = z.string().min(1).max(253);

const TokenHash = z.object({ sha256: z.string().regex(/^[0-9a-fA-F]{64}$/), notAfter: z.string().optional() });

const SubscriptionRoute = z.object({
  namespace: name, name,
  eventTypes: z.array(z.string().min(1)).default([]),
  tokens: z.array(TokenHash).default([]),
  retryScheduleMs: z.array(z.number().nonnegative()).default([]),
});

export const ChannelConfigSchema = z.object({
  namespace: name, name,
  maxQueueSize: z.number().int().positive(),
  ttlSeconds: z.number().positive(),
  ackTimeoutSeconds: z.number().positive(),
  maxConnections: z.number().int().positive(),
  maxPayloadBytes: z.number().int().positive(),
  deliveryLimit: z.number().int().positive(),
  eventType: EventTypeSource.optional(),
  verify: z.object({ provider: z.enum(VerifyProviders), secrets: z.array(z.string()), toleranceSeconds: z.number().nonnegative().default(300) }).optional(),
  deletionPolicy: z.enum(['Delete', 'Retain']).default('Delete'),
  subscriptions: z.array(SubscriptionRoute).default([]),
});

export function parseChannelConfig(json: string): { ok: true; config: ChannelConfig } | { ok: false; error: string } {
  let doc: unknown;
  try { doc = JSON.parse(json); } catch (err) { return { ok: false, error: `not JSON: ${(err as Error).message}` }; }
  const r = ChannelConfigSchema.safeParse(doc);
  if (!r.success) return { ok: false, error: z.prettifyError(r.error) };
  return { ok: true, config: r.data as ChannelConfig };
}
