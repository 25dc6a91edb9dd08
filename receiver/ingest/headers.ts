// Which request headers travel with a message (SPEC §4): the provider's headers, lower-cased, minus
// hop-by-hop and credential headers, so the destination can still check a GitHub or Stripe signature.
import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Never relayed: hop-by-hop (RFC 9110 §7.6.1), framing, credentials, and fields carried separately. */
const DROPPED = new Set([
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect',
  'authorization', 'cookie', 'x-api-key',
  'content-type', 'traceparent', // carried in StoredMessage.contentType / .traceparent
]);

export function relayHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const connection = headers.connection;
  const named = connection ? new Set(connection.toLowerCase().split(',').map((s) => s.trim())) : undefined;
  for (const name in headers) {
    if (DROPPED.has(name) || name.startsWith('proxy-') || named?.has(name)) continue;
    const v = headers[name];
    if (v === undefined) continue;
    out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The W3C traceparent from the request when valid, else a new sampled one. */
export function traceparentOf(headers: IncomingHttpHeaders): string {
  const v = headers.traceparent;
  if (typeof v === 'string') {
    const m = TRACEPARENT.exec(v);
    if (m && !/^0+$/.test(m[1]) && !/^0+$/.test(m[2]) && !v.startsWith('ff')) return v;
  }
  const r = randomHex(24);
  return `00-${r.slice(0, 32)}-${r.slice(32)}-01`;
}

// Random bytes from a pool refilled 4 KiB at a time: one randomFillSync per request cost ~5% of ingest CPU.
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL.length) { randomFillSync(POOL); poolOffset = 0; }
  const hex = POOL.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}
