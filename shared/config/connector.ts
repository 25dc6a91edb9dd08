// The per-namespace connector's configuration (`config.json` in the connector ConfigMap, written by the
// operator; compiled by shared/api/compile.ts in standalone mode too). This schema is its one definition;
// the types are derived from it. Validated on load so a bad file fails loudly at start, and a bad update is
// rejected while the running configuration keeps working.
import { z } from 'zod';
import { EventTypeSource, OrderingModes, SigningSchemes, TransformFormats } from '../api/v1alpha1.ts';

/** How a connector's streams reach the receiver (SPEC §4): both dial out, so no inbound firewall hole. */
export const Transports = ['websocket', 'sse'] as const;
export type Transport = (typeof Transports)[number];

const Key = z.object({ namespace: z.string().min(1), name: z.string().min(1) });
const absoluteUrl = (protocols: RegExp, what: string) => z.string().refine((u) => URL.canParse(u) && protocols.test(new URL(u).protocol), what);

export const TransformSchema = z.object({ format: z.enum(TransformFormats), template: z.string().optional(), includeMessageId: z.boolean().optional() });
export type Transform = z.infer<typeof TransformSchema>;

/** One subscription served by a connector. Paths are relative to the connector's `--secrets-dir`. */
export const ConnectorSubscriptionSchema = Key.extend({
  channel: Key,
  /** File holding the subscription's stream token (`<sub>-hookbridge-token` Secret, key `token`). */
  tokenFile: z.string().min(1),
  destination: z.object({ url: absoluteUrl(/^https?:$/, 'an absolute http(s) URL') }),
  delivery: z.object({
    timeoutMs: z.number().int().positive(),
    maxAttempts: z.number().int().min(1),
    retryScheduleMs: z.array(z.number().nonnegative()).min(1),
    jitter: z.number().min(0).max(1),
    concurrency: z.number().int().min(1).max(1000),
    rateLimitPerSecond: z.number().positive().optional(),
    ordering: z.enum(OrderingModes),
    keyFrom: EventTypeSource.optional(),
    circuitBreaker: z.object({ failureRatio: z.number().gt(0).max(1), minRequests: z.number().int().min(1), openMs: z.number().int().positive() }).optional(),
  }),
  signing: z.object({
    scheme: z.enum(SigningSchemes),
    /** Files holding signing secrets; during rotation there are several and every one signs. */
    secretFiles: z.array(z.string().min(1)),
  }),
  transform: TransformSchema.optional(),
});
export type ConnectorSubscription = z.infer<typeof ConnectorSubscriptionSchema>;

export const ConnectorConfigSchema = z.object({
  /** Base URL of the receiver, e.g. https://hooks.example.com (http(s); ws(s) is derived). */
  receiverUrl: absoluteUrl(/^(https?|wss?):$/, 'an absolute http(s) or ws(s) URL'),
  transport: z.enum(Transports).default('websocket'),
  /** Hostnames or CIDRs a destination may resolve to besides the namespace's own services. */
  allowedDestinations: z.array(z.string()).optional(),
  subscriptions: z.array(ConnectorSubscriptionSchema),
});
export type ConnectorConfig = z.infer<typeof ConnectorConfigSchema>;

/** The configuration in `doc`; throws one error naming every problem by its path. */
export function parseConnectorConfig(doc: unknown): ConnectorConfig {
  const r = ConnectorConfigSchema.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid connector config: ${issues}`);
  }
  return r.data;
}
