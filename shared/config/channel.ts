// The receiver's configuration, one ChannelConfig per channel: the operator (from the Kubernetes API) and
// standalone mode (from manifest files) compile WebhookChannel/Subscription/Secret objects into it
// (shared/api/compile.ts), and the receiver only ever reads it. This schema is its one definition; the
// types are derived from it. It travels as `channel.json` in a Secret (it holds verify secrets), so it is
// validated on arrival: a malformed one is skipped with a log line instead of breaking every other channel.
import { z } from 'zod';
import { DeletionPolicies, EventTypeSource, VerifyProviders } from '../api/v1alpha1.ts';

const name = z.string().min(1).max(253);

/** A token the receiver accepts for one subscription. Only the hash ever reaches the receiver. */
export const TokenHashSchema = z.object({
  /** hex sha256 of the UTF-8 token. */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  /** ISO time after which the token is revoked (end of a rotation grace period); absent = current token. */
  notAfter: z.string().optional(),
});
export type TokenHash = z.infer<typeof TokenHashSchema>;

/** One subscription bound to a channel, as the receiver sees it. */
export const SubscriptionRouteSchema = z.object({
  namespace: name, name,
  /** Glob patterns (`*` matches any run of characters); empty = every event type. */
  eventTypes: z.array(z.string().min(1)).default([]),
  tokens: z.array(TokenHashSchema).default([]),
  /** Retry delays in ms, used by the broker's delay queues (a retry waits for the smallest tier >= its delay). */
  retryScheduleMs: z.array(z.number().nonnegative()).default([]),
});
export type SubscriptionRoute = z.infer<typeof SubscriptionRouteSchema>;

/** Everything the receiver needs for one channel. */
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
  deletionPolicy: z.enum(DeletionPolicies).default('Delete'),
  subscriptions: z.array(SubscriptionRouteSchema).default([]),
});
export type ChannelConfig = z.infer<typeof ChannelConfigSchema>;

export interface ReceiverConfig { channels: ChannelConfig[] }

export function parseChannelConfig(json: string): { ok: true; config: ChannelConfig } | { ok: false; error: string } {
  let doc: unknown;
  try { doc = JSON.parse(json); } catch (err) { return { ok: false, error: `not JSON: ${(err as Error).message}` }; }
  const r = ChannelConfigSchema.safeParse(doc);
  if (!r.success) return { ok: false, error: z.prettifyError(r.error) };
  return { ok: true, config: r.data };
}
