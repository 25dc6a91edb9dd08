// A raw WebSocket client for the abuse suite: the handshake by hand, masked text frames written in bulk,
// and a socket that can stop reading (which the `ws` client cannot be made to do).
import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** One masked client text frame (RFC 6455 §5.2). */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : len < 65536 ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]) : undefined;
  if (!head) throw new Error('frame too large for this helper');
  for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, payload]);
}

/** Opens a WebSocket by hand; resolves once the 101 head arrived, with the bytes after it. */
export function rawWebSocket(port: number, path: string, token: string): Promise<{ sock: net.Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      const head = got.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) { sock.destroy(); reject(new Error(head)); return; }
      resolve({ sock, rest: got.subarray(end + 4) });
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  });
}

/** Unmasked server text frames in `buf` (enough for small frames in tests). */
export function serverTexts(buf: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const op = buf[i] & 0x0f;
    let len = buf[i + 1] & 0x7f;
    let off = i + 2;
    if (len === 126) { len = buf.readUInt16BE(off); off += 2; } else if (len === 127) { len = Number(buf.readBigUInt64BE(off)); off += 8; }
    if (off + len > buf.length) break;
    if (op === 1) out.push(buf.subarray(off, off + len).toString('utf8'));
    i = off + len;
  }
  return out;
}
