// GET /admin/webhook-connect/messages/{id} (SPEC §4): a message's life — received, routed subscriptions,
// each attempt (time, status code, latency, error) and the state per subscription — with ISO times.
import type { Request, Response } from 'express';
import { sendError } from '../errors.ts';
import type { AdminDeps } from './channels.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

export function messageHistory(deps: AdminDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    let h;
    try {
      h = await deps.buffer.messageHistory(req.params.id as string);
    } catch (err) {
      sendError(res, 'buffer_error', `Reading history failed: ${(err as Error).message}`);
      return;
    }
    if (!h) { sendError(res, 'message_not_found'); return; }
    const subscriptions: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(h.subscriptions)) {
      subscriptions[name] = {
        state: s.state,
        ...(s.reason !== undefined && { reason: s.reason }),
        attempts: s.attempts.map((a) => ({ at: iso(a.at), attempt: a.attempt, ...(a.redrive !== undefined && { redrive: a.redrive }), ...a.result })),
        redrives: s.redrives.map((r) => ({ at: iso(r.at) })),
      };
    }
    res.json({
      id: h.id,
      channel: h.channel,
      receivedAt: iso(h.receivedAt),
      routed: Object.keys(h.subscriptions),
      subscriptions,
    });
  };
}
