// GET /connect/stream/{ns}/{channel}/sse (SPEC §5): the same stream as Server-Sent Events. Server frames are
// `event: <type>` + `data: <json>`; refusals are HTTP errors whose JSON carries the close code as `code`
// (401 → 4001, 404 → 4002, 429 → 4003, 403 → 4004). Client frames arrive on POST /connect/ack (ack.ts).
import type { Request, Response } from 'express';
import { coalesceWrites } from '../../shared/coalesce-writes.ts';
import { sendError } from '../errors.ts';
import { clientAddress } from '../client-address.ts';
import { authorizeStream, requestTarget, windowFrom } from './auth.ts';
import { StreamSession, type StreamTransport } from './session.ts';
import type { WebSocketDeps } from './websocket.ts';

export function sseHandler(deps: WebSocketDeps): (req: Request, res: Response) => void {
  return (req, res) => {
    const ns = req.params.ns as string;
    const channel = req.params.channel as string;
    const auth = authorizeStream(deps, req.headers, ns, channel, () => clientAddress(req, deps.trusted));
    if (!auth.ok) { sendError(res, auth.error); return; }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const url = requestTarget(req.originalUrl);
    const session = new StreamSession(
      { channel: auth.channel, subscription: auth.subscription, tokenHash: auth.tokenHash, window: windowFrom(url), transport: sseTransport(res) },
      deps,
    );
    deps.registry.add(session);
    res.on('close', () => session.close(1001, 'peer closed', { transportClosed: true }));
    deps.logger.info({ session: session.id, channel: auth.channel.key, subscription: auth.subscription.key, window: session.window, transport: 'sse' }, 'stream opened');
    void session.start();
  };
}

function sseTransport(res: Response): StreamTransport {
  const hold = coalesceWrites(res);
  return {
    kind: 'sse',
    send: (type, json) => { if (!res.writableEnded) { hold(); res.write(`event: ${type}\ndata: ${json}\n\n`); } },
    buffered: () => res.writableLength,
    destroy: () => { res.destroy(); },
    close: (code, reason) => {
      if (res.writableEnded) return;
      res.end(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
    },
  };
}
