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

/** A receiver that refuses before upgrading answers HTTP; map it onto the stream close codes. */
export function closeCodeForStatus(status: number, bodyCode?: unknown): number {
  if (typeof bodyCode === 'number' && bodyCode >= 4000 && bodyCode < 5000) return bodyCode;
  if (status === 401) return CloseCode.InvalidToken;
  if (status === 404) return CloseCode.ChannelNotFound;
  if (status === 429) return CloseCode.MaxConnections;
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
