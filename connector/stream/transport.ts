// One connection to the receiver, whatever carries it (WebSocket or SSE + POSTed acks). The stream
// client owns reconnects, heartbeats and tokens; a transport only moves frames and reports its end.
import type { Logger } from '../../shared/logger.ts';
import { CloseCode, type ClientFrame, type ServerFrame } from '../../shared/protocol.ts';

export interface TransportHandlers {
  onFrame(frame: ServerFrame): void;
  /** Called exactly once when the connection is over (or could not be opened). */
  onClose(code: number, reason: string): void;
}

export interface Transport {
  send(frame: ClientFrame): void;
  /** Orderly close. */
  close(code: number, reason: string): void;
}

export interface DialOptions { url: string; ackUrl?: string; token: string; handlers: TransportHandlers; logger: Logger; connectTimeoutMs: number }
export type Dial = (o: DialOptions) => Transport;

/** WebSocket 1013: the server asks us to come back later (e.g. this address is rate limited). */
export const TRY_AGAIN_LATER = 1013;

/** A receiver that refuses before upgrading answers HTTP; map it onto the stream close codes. */
export function closeCodeForStatus(status: number, bodyCode?: unknown): number {
  if (typeof bodyCode === 'number' && bodyCode >= 4000 && bodyCode < 5000) return bodyCode;
  if (status === 401) return CloseCode.InvalidToken;
  if (status === 404) return CloseCode.ChannelNotFound;
  if (status === 429) return TRY_AGAIN_LATER; // rate limited (a max_connections refusal carries 4003 in its body)
  if (status === 403) return CloseCode.NotBound;
  return 1006;
}

/**
 * Words for why a dial failed, for the log: the host that did not resolve, the address that refused or
 * did not answer, the TLS failure, each with its code. Built from the error's fields, never from the
 * request, so the token (a header) cannot reach it.
 */
export function describeDialError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: unknown; hostname?: unknown; address?: unknown; port?: unknown; cause?: unknown; reason?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  // Happy eyeballs (several addresses tried): one line per address that failed.
  if (err instanceof AggregateError && err.errors.length > 0) return [...new Set(err.errors.map(describeDialError))].join('; ');
  // fetch-style wrappers ("fetch failed") carry the socket error as their cause.
  if (!code && e.cause instanceof Error) return describeDialError(e.cause);
  const at = typeof e.address === 'string' ? `${e.address}${e.port !== undefined ? `:${String(e.port)}` : ''}` : undefined;
  if (code && DNS_CODES.has(code)) return `cannot resolve host ${typeof e.hostname === 'string' ? e.hostname : '(unknown)'} (${code})`;
  if (code && at && CONNECT_WORDS[code]) return `${CONNECT_WORDS[code]} ${at} (${code})`;
  // OpenSSL's own message is a line of library internals (`...:SSL routines:fn:packet length too long:file:line:`);
  // its reason is the words.
  const openssl = /SSL routines:[^:]*:([^:]+):/.exec(e.message)?.[1];
  const tls = openssl !== undefined || (code !== undefined && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code));
  const text = (typeof e.reason === 'string' && tls ? e.reason : openssl ?? e.message.trim()) || code || e.name;
  return `${tls ? 'TLS: ' : ''}${text}${code && !text.includes(code) ? ` (${code})` : ''}`;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const CONNECT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused by',
  ECONNRESET: 'connection reset by',
  ETIMEDOUT: 'no answer from',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable for',
};

/** Parse a server frame (JSON text); undefined for anything that is not one. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  try {
    const v = JSON.parse(text) as { type?: unknown };
    return v && typeof v === 'object' && typeof v.type === 'string' ? (v as ServerFrame) : undefined;
  } catch {
    return undefined;
  }
}
