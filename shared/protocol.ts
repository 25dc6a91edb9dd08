// The stream protocol between receiver and connector (SPEC §5). WebSocket carries these frames as JSON
// text messages both ways; SSE carries server frames as `event: <type>` + `data: <json>` and the
// connector POSTs client frames to /connect/ack/{ns}/{channel} (a single frame or {"frames": [...]}).

/** Close codes (WebSocket close code; for SSE the same number is in the JSON error body as `code`). */
export const CloseCode = {
  InvalidToken: 4001,
  ChannelNotFound: 4002,
  MaxConnections: 4003,
  NotBound: 4004,
  HeartbeatTimeout: 4008,
  ShuttingDown: 1001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** First frame on every stream. */
export interface HelloFrame {
  type: 'hello';
  session: string;
  channel: string; // ns/name
  subscription: string; // ns/name
  window: number;
  heartbeatMs: number;
  ackTimeoutMs: number;
}

/** One message for one subscription. `body` is base64 so any bytes survive the JSON frame. */
export interface MessageFrame {
  type: 'message';
  id: string;
  subscription: string;
  attempt: number; // 1 on first delivery attempt; +1 per broker retry (nack retry, unless `attempted: false`)
  deliveryCount: number; // redeliveries after lost acks (survives restarts)
  eventType?: string;
  receivedAt: string; // ISO time of ingest
  contentType?: string;
  headers: Record<string, string>;
  traceparent?: string;
  body: string; // base64
}

export interface PingFrame { type: 'ping'; t: number }
export interface PongFrame { type: 'pong'; t: number }

/** What the connector observed for one attempt; recorded in the message's history. */
export interface AttemptResult {
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

export interface AckFrame { type: 'ack'; id: string; result?: AttemptResult }
export interface NackFrame {
  type: 'nack';
  id: string;
  action: 'retry' | 'dead';
  /** For retry: requested delay (e.g. from Retry-After); the broker waits at least this long. */
  delayMs?: number;
  /** For dead: why, e.g. "410 Gone" or "max attempts reached". For a retry with `attempted: false`: why it was not tried. */
  reason?: string;
  result?: AttemptResult;
  /**
   * For retry: `false` means "park it, it was not tried" (circuit open, connector shutting down): the
   * message comes back after the delay with the SAME attempt number, so it does not count against
   * maxAttempts. Absent or true: an attempt was made and the next one is attempt + 1.
   */
  attempted?: boolean;
}

export type ServerFrame = HelloFrame | MessageFrame | PingFrame | PongFrame;
export type ClientFrame = AckFrame | NackFrame | PingFrame | PongFrame;

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const MISSED_HEARTBEATS = 3;

export function parseClientFrame(text: string): ClientFrame | undefined {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return undefined; }
  return clientFrameOf(v);
}

/** Longest message id a client frame may name (ids are UUIDs). */
const MAX_ID_LENGTH = 256;

/**
 * A parsed value as a client frame, or undefined when it is not one. Numbers must be finite (JSON has no
 * Infinity: `1e400` parses to it, and echoing it would make a frame that is not JSON).
 */
export function clientFrameOf(v: unknown): ClientFrame | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const f = v as Record<string, unknown>;
  const idOk = typeof f.id === 'string' && f.id.length > 0 && f.id.length <= MAX_ID_LENGTH;
  switch (f.type) {
    case 'ack': return idOk ? (f as unknown as AckFrame) : undefined;
    case 'nack': {
      if (!idOk || (f.action !== 'retry' && f.action !== 'dead')) return undefined;
      const { delayMs, ...rest } = f;
      const delay = typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0 ? { delayMs } : {};
      return { ...rest, ...delay } as unknown as NackFrame;
    }
    case 'ping': case 'pong': return { type: f.type, t: typeof f.t === 'number' && Number.isFinite(f.t) ? f.t : 0 };
    default: return undefined;
  }
}
