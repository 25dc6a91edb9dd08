// A one-queue broker behind the fake receiver, for the stream client's token-switch tests. It keeps the
// receiver's promises: each connection holds at most `window` unsettled messages, messages go out
// round-robin to every open connection, a settlement must come on the connection holding the message
// and before that connection closed (else it counts for nothing, as in receiver/stream/session.ts), and
// what a closed connection held goes back to the front of the queue to be delivered again.
import type { ClientFrame, MessageFrame } from '../../../shared/protocol.ts';
import { messageFrame, type FakeConnection } from '../../testing/fake-receiver.ts';

interface Line { n: number; c: FakeConnection; held: Set<string>; seen: number; closedAt?: number; returned: boolean }

export interface PumpOptions { window: number; messages: number; tickMs?: number }

export function startPump(connections: FakeConnection[], o: PumpOptions) {
  const queue: MessageFrame[] = Array.from({ length: o.messages }, () => messageFrame());
  const byId = new Map(queue.map((m) => [m.id, m]));
  const lines: Line[] = [];
  /** id → the connection (1-based) it was settled on. */
  const settled = new Map<string, number>();
  /** Settlements that counted for nothing: unknown on that connection, or sent after it closed. */
  const stray: { n: number; frame: ClientFrame }[] = [];
  /** How many messages each connection was sent (1-based index). */
  const sentOn: number[] = [];

  const lineOf = (c: FakeConnection, n: number): Line => {
    let l = lines[n - 1];
    if (!l) {
      l = { n, c, held: new Set(), seen: 0, returned: false };
      const line = l;
      lines[n - 1] = line;
      void c.closed.then(() => { line.closedAt = c.frames.length; });
    }
    return l;
  };

  const tick = () => {
    connections.forEach((c, i) => {
      const l = lineOf(c, i + 1);
      for (; l.seen < c.frames.length; l.seen++) {
        const f = c.frames[l.seen];
        if (f.type !== 'ack' && f.type !== 'nack') continue;
        const afterClose = l.closedAt !== undefined && l.seen >= l.closedAt;
        if (afterClose || !l.held.delete(f.id)) { stray.push({ n: l.n, frame: f }); continue; }
        if (f.type === 'nack' && f.action === 'retry') queue.push(byId.get(f.id) as MessageFrame);
        else settled.set(f.id, l.n);
      }
      if (l.closedAt !== undefined && !l.returned) {
        l.returned = true;
        queue.unshift(...[...l.held].map((id) => byId.get(id) as MessageFrame));
        l.held.clear();
      }
    });
    for (let progressed = true; progressed && queue.length > 0;) {
      progressed = false;
      for (const l of lines) {
        if (l.closedAt !== undefined || l.held.size >= o.window || queue.length === 0) continue;
        const m = queue.shift() as MessageFrame;
        l.held.add(m.id);
        l.c.send(m);
        sentOn[l.n] = (sentOn[l.n] ?? 0) + 1;
        progressed = true;
      }
    }
  };
  const timer = setInterval(tick, o.tickMs ?? 2);

  return {
    settled, stray, sentOn,
    get done(): boolean { return settled.size === o.messages; },
    close(): void { clearInterval(timer); },
  };
}
