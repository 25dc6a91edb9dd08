// The bench's webhook body: 1 KiB of JSON carrying a sequence number and the scheduled send time, so
// the destination can compute end-to-end latency from bytes that were relayed untouched.

export const BODY_BYTES = 1024;
const PAD = 'x'.repeat(BODY_BYTES);

export interface Stamp { seq: number; t: number }

/** A JSON body of exactly `size` bytes: {"type":"bench.event","seq":N,"t":MS,"pad":"xx…"}. */
export function makeBody(seq: number, t: number, size = BODY_BYTES): Buffer {
  const head = `{"type":"bench.event","seq":${seq},"t":${t},"pad":"`;
  const tail = '"}';
  const padLen = size - head.length - tail.length;
  if (padLen < 0) throw new RangeError(`body of ${size} bytes cannot hold seq ${seq}`);
  return Buffer.from(head + PAD.slice(0, padLen) + tail, 'latin1');
}

/** Reads seq and t back from a bench body (or from the same object re-serialised); undefined if absent. */
export function readStamp(body: Buffer | string): Stamp | undefined {
  try {
    const v = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as { seq?: unknown; t?: unknown };
    return typeof v.seq === 'number' && typeof v.t === 'number' ? { seq: v.seq, t: v.t } : undefined;
  } catch {
    return undefined;
  }
}
