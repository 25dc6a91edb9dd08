// The request a destination receives: the provider's relayed headers and content type (so it can still
// verify a GitHub or Stripe signature), our signature headers, the trace context and the attempt number.
import type { MessageFrame } from '../../shared/protocol.ts';
import { signatureHeaders, type SigningScheme } from '../../shared/signing.ts';

/** Never relayed: hop-by-hop, framing and anything we set ourselves. */
const DROP = new Set([
  'host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'content-length', 'expect', 'authorization', 'proxy-authorization', 'cookie',
  'webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-signature', 'traceparent', 'tracestate',
  'x-hookbridge-attempt', 'x-hookbridge-event-type',
]);

export const USER_AGENT = 'hookbridge/0.1';

export interface OutboundSigning { scheme: SigningScheme; secrets: readonly string[] }

export function buildHeaders(m: MessageFrame, body: Buffer, contentType: string | undefined, signing: OutboundSigning, nowMs: number): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers)) {
    const name = k.toLowerCase();
    if (DROP.has(name) || /[\r\n]/.test(v)) continue;
    h[name] = v;
  }
  h['user-agent'] ??= USER_AGENT;
  if (contentType) h['content-type'] = contentType;
  else delete h['content-type'];
  if (m.traceparent) h.traceparent = m.traceparent;
  h['x-hookbridge-attempt'] = String(m.attempt);
  if (m.eventType) h['x-hookbridge-event-type'] = m.eventType;
  Object.assign(h, signatureHeaders(signing.scheme, signing.secrets, m.id, Math.floor(nowMs / 1000), body));
  return h;
}

/** The trace id inside a W3C traceparent (`00-<trace id>-<span id>-<flags>`), for log lines. */
export const traceIdOf = (traceparent: string | undefined): string | undefined =>
  traceparent ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent)?.[1] : undefined;
