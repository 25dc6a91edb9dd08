// StoredMessage <-> AMQP message. The body is the raw bytes; everything else rides in properties and
// `hb-*` headers, so the broker (TTL, delivery limit, dead-lettering) never needs to parse a body.
// The headers table is encoded per publish and decoded per delivery, entry by entry (amqplib's
// encodeTable was 4.7 % of the receiver's ingest profile), so it carries only what the queue does not
// already say: the channel is the queue's own, and attempt 1 is the default.
import type { MessageProperties, Options } from 'amqplib';
import type { AttemptResult } from '../../../shared/protocol.ts';
import type { ObjectKey } from '../../../shared/config.ts';
import type { DeadLetter, QueueRef, StoredMessage } from '../types.ts';

export const H = {
  /** Written by receivers up to 0.1.0 (the channel is the queue's own); no longer written or read. */
  channel: 'hb-channel',
  receivedAt: 'hb-received-at',
  headers: 'hb-headers',
  attempt: 'hb-attempt',
  deadReason: 'hb-dead-reason',
  deadAt: 'hb-dead-at',
  lastResult: 'hb-last-result',
  /** Epoch ms before which a parked retry is not handed out (set while no delay tier is long enough). */
  notBefore: 'hb-not-before',
} as const;

/** Broker-owned headers that must not follow a message into a fresh queue (retry, redrive). */
const BROKER_HEADERS = ['x-death', 'x-delivery-count', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'CC', 'BCC'];

export interface Extra { attempt: number; deadReason?: string; deadAt?: number; lastResult?: AttemptResult; notBefore?: number }

export function encodeOptions(m: StoredMessage, extra: Extra): Options.Publish {
  const headers: Record<string, unknown> = {
    [H.receivedAt]: m.receivedAt,
    [H.headers]: JSON.stringify(m.headers),
  };
  if (extra.attempt !== 1) headers[H.attempt] = extra.attempt;
  if (m.traceparent) headers.traceparent = m.traceparent;
  if (extra.deadReason !== undefined) headers[H.deadReason] = extra.deadReason;
  if (extra.deadAt !== undefined) headers[H.deadAt] = extra.deadAt;
  if (extra.lastResult) headers[H.lastResult] = JSON.stringify(extra.lastResult);
  return {
    persistent: true,
    messageId: m.id,
    timestamp: Math.floor(m.receivedAt / 1000),
    ...(m.contentType && { contentType: m.contentType }),
    ...(m.eventType && { type: m.eventType }),
    headers,
  };
}

/** Re-publishes a delivered message elsewhere with new hb-* values (broker headers dropped). */
export function reencodeOptions(props: MessageProperties, extra: Extra): Options.Publish {
  const headers: Record<string, unknown> = { ...props.headers };
  for (const h of BROKER_HEADERS) delete headers[h];
  for (const h of [H.deadReason, H.deadAt, H.lastResult, H.notBefore]) delete headers[h];
  headers[H.attempt] = extra.attempt;
  if (extra.notBefore !== undefined) headers[H.notBefore] = extra.notBefore;
  if (extra.deadReason !== undefined) headers[H.deadReason] = extra.deadReason;
  if (extra.deadAt !== undefined) headers[H.deadAt] = extra.deadAt;
  if (extra.lastResult) headers[H.lastResult] = JSON.stringify(extra.lastResult);
  return {
    persistent: true,
    messageId: props.messageId as string,
    timestamp: props.timestamp as number,
    ...(props.contentType && { contentType: props.contentType as string }),
    ...(props.type && { type: props.type as string }),
    headers,
  };
}

const num = (v: unknown, dflt: number): number => {
  const n = typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : dflt;
};
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString() : String(v));

function parseJson<T>(v: unknown): T | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  try { return JSON.parse(s) as T; } catch { return undefined; }
}

/** The message as stored; `channel` is the channel of the queue it was read from. */
export function decodeMessage(body: Buffer, props: MessageProperties, channel: ObjectKey): StoredMessage {
  const h = props.headers ?? {};
  const m: StoredMessage = {
    id: str(props.messageId) ?? '',
    channel: { namespace: channel.namespace, name: channel.name },
    receivedAt: receivedAtOf(props),
    headers: parseJson<Record<string, string>>(h[H.headers]) ?? {},
    body,
  };
  if (props.type) m.eventType = str(props.type);
  if (props.contentType) m.contentType = str(props.contentType);
  const tp = str(h.traceparent);
  if (tp) m.traceparent = tp;
  return m;
}

export const attemptOf = (props: MessageProperties): number => num(props.headers?.[H.attempt], 1);
/** The ingest time (epoch ms) without decoding the whole message. */
export const receivedAtOf = (props: MessageProperties): number => num(props.headers?.[H.receivedAt], num(props.timestamp, 0) * 1000);
/** hb-not-before, or undefined when the message may be handed out at once. */
export const notBeforeOf = (props: MessageProperties): number | undefined => {
  const v = props.headers?.[H.notBefore];
  return v === undefined ? undefined : num(v, 0);
};
export const deliveryCountOf = (props: MessageProperties): number => num(props.headers?.['x-delivery-count'], 0);

interface XDeath { reason?: unknown; time?: unknown; queue?: unknown }

/** The latest broker dead-lettering (x-death is sorted most recent first). */
export function latestDeath(props: MessageProperties): { reason: string; at: number } | undefined {
  const deaths = props.headers?.['x-death'] as XDeath[] | undefined;
  const d = deaths?.[0];
  if (!d) return undefined;
  const t = d.time as { value?: unknown } | number | undefined;
  const seconds = typeof t === 'object' && t !== null ? num(t.value, 0) : num(t, 0);
  return { reason: str(d.reason) ?? 'unknown', at: seconds * 1000 };
}

export function decodeDeadLetter(body: Buffer, props: MessageProperties, queue: QueueRef): DeadLetter {
  const h = props.headers ?? {};
  const message = decodeMessage(body, props, queue.channel);
  const attempt = attemptOf(props);
  const death = latestDeath(props);
  const own = str(h[H.deadReason]);
  const reason = own ?? death?.reason ?? 'unknown';
  const dl: DeadLetter = {
    id: message.id,
    queue,
    reason,
    deadLetteredAt: own !== undefined ? num(h[H.deadAt], 0) : (death?.at ?? 0),
    attempts: own === undefined && reason === 'expired' ? attempt - 1 : attempt,
    message,
  };
  const lastResult = parseJson<AttemptResult>(h[H.lastResult]);
  if (lastResult) dl.lastResult = lastResult;
  return dl;
}
