// The receiver's one error catalogue: every error answer (ingest, stream over SSE, ack endpoint, admin)
// comes from here as JSON `{"error": code, "message": text}` with the status and Retry-After fixed per code.
import type { ServerResponse } from 'node:http';
import { CloseCode } from '../shared/protocol.ts';

interface ErrorSpec { status: number; message: string; retryAfterSeconds?: number; closeCode?: number }

export const ERRORS = {
  bad_request: { status: 400, message: 'The request is malformed.' },
  invalid_signature: { status: 401, message: 'The request signature did not verify.' },
  unauthorized: { status: 401, message: 'A valid bearer token is required.' },
  invalid_token: { status: 401, message: 'Invalid or revoked channel token.', closeCode: CloseCode.InvalidToken },
  not_bound: { status: 403, message: 'The token\'s subscription is not bound to this channel.', closeCode: CloseCode.NotBound },
  channel_not_found: { status: 404, message: 'No channel with this namespace and name.', closeCode: CloseCode.ChannelNotFound },
  not_found: { status: 404, message: 'Not found.' },
  message_not_found: { status: 404, message: 'No history for this message id (unknown or past retention).' },
  dead_letter_not_found: { status: 404, message: 'No dead letter with this id.' },
  payload_too_large: { status: 413, message: 'The request body exceeds the channel\'s maxPayloadBytes.' },
  max_connections: { status: 429, message: 'The subscription already has its maximum number of streams.', closeCode: CloseCode.MaxConnections, retryAfterSeconds: 5 },
  rate_limited: { status: 429, message: 'Too many failed attempts from this address; try again later.', retryAfterSeconds: 60 },
  internal_error: { status: 500, message: 'Internal error.' },
  queue_full: { status: 503, message: 'A subscription queue of this channel is full; retry later.', retryAfterSeconds: 30 },
  buffer_error: { status: 503, message: 'The message buffer is unavailable; retry later.', retryAfterSeconds: 5 },
  not_ready: { status: 503, message: 'The receiver is not ready.', retryAfterSeconds: 5 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that carries its catalogue code up to whoever answers the request. */
export class ReceiverError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.name = 'ReceiverError';
  }
}

// Bodies with the default message are serialised once: the ingest hot path answers errors without JSON work.
const SPEC: Record<string, ErrorSpec> = ERRORS;
const DEFAULT_BODIES = new Map<string, string>(
  Object.entries(SPEC).map(([code, s]) => [code, JSON.stringify(bodyOf(code, s.message, s))]),
);

function bodyOf(code: string, message: string, s: ErrorSpec): Record<string, unknown> {
  return s.closeCode === undefined ? { error: code, message } : { error: code, message, code: s.closeCode };
}

/** Answer with a catalogue error; works for express responses and raw node ServerResponses. */
export function sendError(res: ServerResponse, code: ErrorCode, message?: string, extraHeaders?: Record<string, string>): void {
  if (res.headersSent) { res.destroy(); return; }
  const s: ErrorSpec = ERRORS[code];
  const body = message === undefined ? (DEFAULT_BODIES.get(code) as string) : JSON.stringify(bodyOf(code, message, s));
  res.statusCode = s.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (s.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(s.retryAfterSeconds));
  if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.end(body);
}

/** A raw HTTP error response on a socket whose upgrade we refuse before the WebSocket handshake. */
export function rawHttpError(code: ErrorCode): string {
  const s: ErrorSpec = ERRORS[code];
  const body = DEFAULT_BODIES.get(code) as string;
  const retry = s.retryAfterSeconds === undefined ? '' : `Retry-After: ${s.retryAfterSeconds}\r\n`;
  return `HTTP/1.1 ${s.status} ${STATUS_TEXT[s.status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n`
    + `${retry}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 413: 'Payload Too Large',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};
