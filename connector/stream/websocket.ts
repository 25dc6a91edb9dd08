// WebSocket transport: frames are JSON text messages both ways; the token goes in the Authorization
// header of the upgrade request (never in the URL, where proxies log it).
import { WebSocket } from 'ws';
import { coalesceWrites } from '../../shared/coalesce-writes.ts';
import { closeCodeForStatus, describeDialError, parseServerFrame, type Dial } from './transport.ts';

export const dialWebSocket: Dial = ({ url, token, handlers, logger, connectTimeoutMs }) => {
  let ended = false;
  const end = (code: number, reason: string) => {
    if (ended) return;
    ended = true;
    handlers.onClose(code, reason);
  };
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${token}` },
    handshakeTimeout: connectTimeoutMs,
    perMessageDeflate: false,
    followRedirects: false,
  });
  // The acks of one turn (deliveries that finished together) leave in one write.
  let hold = (): void => {};
  ws.on('upgrade', (res) => { hold = coalesceWrites(res.socket); });
  ws.on('message', (data, isBinary) => {
    const frame = parseServerFrame(isBinary ? Buffer.from(data as Buffer).toString('utf8') : String(data));
    if (frame) handlers.onFrame(frame);
    else logger.warn('ignoring a malformed frame from the receiver');
  });
  ws.on('unexpected-response', (_req, res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => { if (chunks.length < 16) chunks.push(c); });
    res.on('end', () => {
      let body: { code?: unknown; error?: unknown; message?: unknown } = {};
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* not JSON */ }
      const reason = [body.error, body.message].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.statusCode}`;
      end(closeCodeForStatus(res.statusCode ?? 0, body.code), reason);
      ws.terminate();
    });
    res.on('error', () => end(closeCodeForStatus(res.statusCode ?? 0), `HTTP ${res.statusCode}`));
  });
  // ws reports a failed dial (DNS, refused, TLS, handshake timeout) as 'error' then 'close' 1006 with no
  // reason: keep the error's words for the close.
  let failure: string | undefined;
  ws.on('error', (err) => {
    failure = describeDialError(err);
    // 'close' follows for socket errors; a failed handshake may only emit 'error'.
    if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CONNECTING) end(1006, failure);
  });
  ws.on('close', (code, reason) => end(code, reason.toString('utf8') || failure || ''));
  return {
    send(frame) { if (ws.readyState === WebSocket.OPEN) { hold(); ws.send(JSON.stringify(frame)); } },
    close(code, reason) {
      if (ws.readyState === WebSocket.CONNECTING) ws.once('open', () => ws.close(code, reason));
      else ws.close(code, reason);
      // A peer that never answers the close handshake: give it a moment, then cut the socket.
      setTimeout(() => { ws.terminate(); end(code, reason); }, 2000).unref();
    },
  };
};
