// Server-side frame work for a stream session: the message frame a delivery is pushed as, and the
// connector-supplied fields (attempt result, reasons) kept to their documented shapes before they reach
// the buffer's history.
import type { AttemptResult, MessageFrame } from '../../shared/protocol.ts';
import type { Delivery } from '../buffer/types.ts';

/** The JSON text of the message frame for one delivery (the body as base64, so any bytes survive). */
export function messageFrameJson(d: Delivery, subscription: string): string {
  const m = d.message;
  const frame: MessageFrame = {
    type: 'message', id: m.id, subscription, attempt: d.attempt, deliveryCount: d.deliveryCount,
    ...(m.eventType !== undefined && { eventType: m.eventType }),
    receivedAt: new Date(m.receivedAt).toISOString(),
    ...(m.contentType !== undefined && { contentType: m.contentType }),
    headers: m.headers,
    ...(m.traceparent !== undefined && { traceparent: m.traceparent }),
    body: m.body.toString('base64'),
  };
  return JSON.stringify(frame);
}

/** A dead nack because the destination answered 410 Gone (the connector's reason starts with "gone:"). */
export const isGone = (reason: string, result: AttemptResult | undefined): boolean => reason.startsWith('gone:') || result?.statusCode === 410;

/** A connector's attempt result, kept to the documented fields and sizes before it goes into history. */
export function cleanResult(r: unknown): AttemptResult | undefined {
  if (typeof r !== 'object' || r === null) return undefined;
  const v = r as Record<string, unknown>;
  const out: AttemptResult = { latencyMs: typeof v.latencyMs === 'number' && Number.isFinite(v.latencyMs) ? Math.max(0, v.latencyMs) : 0 };
  if (typeof v.statusCode === 'number' && Number.isInteger(v.statusCode)) out.statusCode = v.statusCode;
  if (typeof v.error === 'string' && v.error) out.error = v.error.slice(0, 1024);
  return out;
}

/** A connector-supplied reason, bounded. */
export const cleanReason = (r: unknown): string | undefined => (typeof r === 'string' && r ? r.slice(0, 1024) : undefined);
