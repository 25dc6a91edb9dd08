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

/** Parse a server frame (JSON text); undefined for anything that is not one. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  try {
    const v = JSON.parse(text) as { type?: unknown };
    return v && typeof v === 'object' && typeof v.type === 'string' ? (v as ServerFrame) : undefined;
  } catch {
    return undefined;
  }
}
