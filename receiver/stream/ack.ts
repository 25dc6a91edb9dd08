// POST /connect/ack/{ns}/{channel} (SPEC §5): client frames for SSE streams — one frame, or
// {"frames": [...]} — authorised by the same bearer token as the stream. `session` (query or body) picks
// one stream; without it, frames go to whichever of the subscription's streams holds the delivery.
import type { Request, Response } from 'express';
import { clientFrameOf, type ClientFrame } from '../../shared/protocol.ts';
import { readBody } from '../ingest/body.ts';
import { sendError } from '../errors.ts';
import { clientAddress } from '../client-address.ts';
import { identifyRequest } from './auth.ts';
import type { StreamSession } from './session.ts';
import type { WebSocketDeps } from './websocket.ts';

const MAX_ACK_BODY_BYTES = 1024 * 1024;

export function ackHandler(deps: WebSocketDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const auth = identifyRequest(deps, req.headers, req.params.ns as string, req.params.channel as string, () => clientAddress(req, deps.trusted));
    if (!auth.ok) { sendError(res, auth.error); return; }
    let doc: unknown;
    try {
      doc = JSON.parse((await readBody(req, MAX_ACK_BODY_BYTES)).toString('utf8'));
    } catch {
      sendError(res, 'bad_request', 'The body must be a client frame or {"frames": [...]} as JSON.');
      return;
    }
    const obj = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
    const list = Array.isArray(obj.frames) ? obj.frames : [obj];
    const frames = list.map(clientFrameOf);
    if (frames.some((f) => f === undefined)) { sendError(res, 'bad_request', 'Every frame needs a valid type (ack, nack, ping, pong) and id.'); return; }
    const sessionId = typeof req.query.session === 'string' ? req.query.session : typeof obj.session === 'string' ? obj.session : undefined;
    const sessions = [...deps.registry.sessions(auth.subscription.key)].filter((s) => sessionId === undefined || s.id === sessionId);
    let settled = 0;
    const unknown: string[] = [];
    for (const f of frames as ClientFrame[]) {
      if (f.type === 'ping' || f.type === 'pong') { for (const s of sessions) s.touch(); continue; }
      const holder: StreamSession | undefined = sessions.find((s) => s.holds(f.id));
      if (holder?.handle(f)) settled++;
      else unknown.push(f.id);
    }
    res.status(200).json({ settled, unknown });
  };
}
