// Server-Sent Events transport, for networks that only let plain HTTP out: the server's frames arrive as
// `event: <type>` / `data: <json>` on a long GET; our frames are POSTed to /connect/ack/{ns}/{channel}
// (batched per tick as {"frames": [...]}) with the same bearer token and the session id from `hello`.
import { request } from 'undici';
import type { ClientFrame } from '../../shared/protocol.ts';
import { closeCodeForStatus, describeDialError, parseServerFrame, type Dial } from './transport.ts';

/** Split an event stream into events; returns the unconsumed tail. */
export function parseEvents(buffer: string, onEvent: (event: string, data: string) => void): string {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const tail = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) onEvent(event, data.join('\n'));
  }
  return tail;
}

export const dialSse: Dial = ({ url, ackUrl, token, handlers, logger, connectTimeoutMs }) => {
  const ac = new AbortController();
  let ended = false;
  let session: string | undefined;
  let pending: ClientFrame[] = [];
  const end = (code: number, reason: string) => {
    if (ended) return;
    ended = true;
    ac.abort();
    handlers.onClose(code, reason);
  };

  // Posts under way: an orderly close waits for them, so a settlement sent just before a close is not lost.
  const posting = new Set<Promise<void>>();
  const post = () => {
    const p = flush().finally(() => posting.delete(p));
    posting.add(p);
    return p;
  };
  const flush = async () => {
    const frames = pending;
    pending = [];
    if (frames.length === 0 || !ackUrl || ended) return;
    const target = new URL(ackUrl);
    if (session) target.searchParams.set('session', session);
    try {
      const res = await request(target, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(session ? { 'x-hookbridge-session': session } : {}) },
        body: JSON.stringify(frames.length === 1 ? frames[0] : { frames }),
        headersTimeout: connectTimeoutMs,
        bodyTimeout: connectTimeoutMs,
      });
      await res.body.dump();
      if (res.statusCode >= 300) logger.warn({ status: res.statusCode, frames: frames.length }, 'receiver refused acks; the messages will be redelivered');
    } catch (err) {
      logger.warn({ err: (err as Error).message, frames: frames.length }, 'posting acks failed; the messages will be redelivered');
    }
  };

  (async () => {
    const res = await request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: ac.signal,
      headersTimeout: connectTimeoutMs,
      bodyTimeout: 0, // heartbeats, not the HTTP client, detect a silent server
    });
    if (res.statusCode !== 200) {
      let body: { code?: unknown; error?: unknown; message?: unknown } = {};
      try { body = (await res.body.json()) as typeof body; } catch { /* not JSON */ }
      const reason = [body.error, body.message].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.statusCode}`;
      end(closeCodeForStatus(res.statusCode, body.code), reason);
      return;
    }
    res.body.setEncoding('utf8');
    let buf = '';
    for await (const chunk of res.body as AsyncIterable<string>) {
      buf = parseEvents(buf + chunk, (event, data) => {
        if (event === 'close') {
          let c: { code?: unknown; reason?: unknown } = {};
          try { c = JSON.parse(data); } catch { /* keep defaults */ }
          end(typeof c.code === 'number' ? c.code : 1000, typeof c.reason === 'string' ? c.reason : 'closed by receiver');
          return;
        }
        const frame = parseServerFrame(data);
        if (!frame) { logger.warn('ignoring a malformed event from the receiver'); return; }
        if (frame.type === 'hello') session = frame.session;
        handlers.onFrame(frame);
      });
    }
    end(1006, 'event stream ended');
  })().catch((err: unknown) => end(1006, describeDialError(err)));

  return {
    send(frame) {
      if (ended) return;
      pending.push(frame);
      if (pending.length === 1) queueMicrotask(() => { void post(); });
    },
    close(code, reason) {
      void post();
      void Promise.allSettled([...posting]).finally(() => end(code, reason));
    },
  };
};
