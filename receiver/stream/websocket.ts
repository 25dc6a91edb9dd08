// GET /connect/stream/{ns}/{channel} as a WebSocket (SPEC §5), upgraded on the receiver's own HTTP server.
// Refusals after authentication happen inside the WebSocket (close 4001–4004) so connectors see the
// contract's close codes; a client whose bad tokens are over the limit is refused with HTTP 429 before the handshake.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { coalesceWrites } from '../../shared/coalesce-writes.ts';
import { CloseCode, parseClientFrame } from '../../shared/protocol.ts';
import { ERRORS, rawHttpError } from '../errors.ts';
import { clientAddress, type TrustedProxies } from '../client-address.ts';
import { authorizeStream, requestTarget, windowFrom, type StreamAuthDeps } from './auth.ts';
import { StreamSession, type SessionDeps, type StreamTransport } from './session.ts';

export interface WebSocketDeps extends StreamAuthDeps, SessionDeps { trusted: TrustedProxies }

const MAX_CLIENT_FRAME_BYTES = 256 * 1024;

/** Parses `/connect/stream/{ns}/{channel}`; undefined for any other path. */
export function streamPath(pathname: string): { ns: string; channel: string } | undefined {
  const m = /^\/connect\/stream\/([^/]+)\/([^/]+)\/?$/.exec(pathname);
  if (!m) return undefined;
  try { return { ns: decodeURIComponent(m[1]), channel: decodeURIComponent(m[2]) }; } catch { return undefined; }
}

export interface UpgradeHandler {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export function createUpgradeHandler(deps: WebSocketDeps): UpgradeHandler {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });

  const refuse = (socket: Duplex, code: 'bad_request' | 'not_found' | 'rate_limited'): void => {
    socket.end(rawHttpError(code));
    socket.on('error', () => {});
  };

  function handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {}); // a reset during the handshake must not crash the process
    // Nothing a client sends may throw out of an 'upgrade' listener: that ends the process.
    try {
      upgrade(req, socket, head);
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'upgrade request failed');
      if (socket.writable) refuse(socket, 'bad_request'); else socket.destroy();
    }
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = requestTarget(req.url);
    const path = url && streamPath(url.pathname);
    if (!url || !path) { refuse(socket, url ? 'not_found' : 'bad_request'); return; }
    const auth = authorizeStream(deps, req.headers, path.ns, path.channel, () => clientAddress(req, deps.trusted));
    if (!auth.ok && auth.error === 'rate_limited') { refuse(socket, 'rate_limited'); return; }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // First: bytes that are not WebSocket frames make `ws` emit 'error', and an unheard 'error' ends the process.
      logErrors(ws, deps.logger);
      if (!auth.ok) {
        const spec: { closeCode?: number; message: string } = ERRORS[auth.error];
        ws.close(spec.closeCode ?? CloseCode.InvalidToken, auth.error);
        return;
      }
      const session = new StreamSession(
        { channel: auth.channel, subscription: auth.subscription, tokenHash: auth.tokenHash, window: windowFrom(url), transport: wsTransport(ws, socket) },
        deps,
      );
      deps.registry.add(session);
      listen(ws, session);
      deps.logger.info({ session: session.id, channel: auth.channel.key, subscription: auth.subscription.key, window: session.window }, 'stream opened');
      void session.start();
    });
  }

  return { handle, close: () => wss.close() };
}

// The socket's listeners are made in the functions below rather than inside upgrade(): a closure there
// shares upgrade()'s scope (the request, its headers, the parsed URL), which would stay in memory as long
// as the stream is open (measured: about 1 KiB per stream).

function logErrors(ws: WebSocket, logger: WebSocketDeps['logger']): void {
  ws.on('error', (err) => logger.debug({ err: err.message }, 'websocket error'));
}

function listen(ws: WebSocket, session: StreamSession): void {
  ws.on('message', (data, isBinary) => {
    const frame = isBinary ? undefined : parseClientFrame(data.toString());
    if (frame) session.handle(frame);
    else session.touch();
  });
  ws.on('pong', () => session.touch());
  ws.on('close', (code) => session.close(code, 'peer closed', { transportClosed: true }));
}

function wsTransport(ws: WebSocket, socket: Duplex): StreamTransport {
  const hold = coalesceWrites(socket); // the frames of one turn (a batch of deliveries) in one write
  return {
    kind: 'websocket',
    send: (_type, json) => { if (ws.readyState === ws.OPEN) { hold(); ws.send(json); } },
    close: (code, reason) => { if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason); },
    probe: () => { if (ws.readyState === ws.OPEN) ws.ping(); },
    buffered: () => ws.bufferedAmount,
    destroy: () => ws.terminate(),
  };
}
