// Webhooks as providers send them: JSON of growing sizes with non-ASCII text, and one binary body with
// NUL, CR LF and bytes that are not UTF-8, so "byte-identical" means something.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Sent } from './delivered.ts';
import { postWebhook } from './ingest.ts';

export function sampleWebhooks(n: number, type = 'invoice.paid'): Sent[] {
  const bodies: Sent[] = Array.from({ length: n }, (_, i) => ({
    body: Buffer.from(JSON.stringify({ type, n: i, note: 'ünïcødé ✓', pad: 'x'.repeat(i * 37) })),
    contentType: 'application/json',
  }));
  bodies.push({ body: Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a]), randomBytes(4096)]), contentType: 'application/octet-stream' });
  return bodies;
}

/** Posts every body, 10 at a time; each must be answered 202. Returns what was sent by message id. */
export async function postAll(url: string, bodies: Sent[]): Promise<Map<string, Sent>> {
  const sent = new Map<string, Sent>();
  for (let i = 0; i < bodies.length; i += 10) {
    await Promise.all(bodies.slice(i, i + 10).map(async (b) => {
      const r = await postWebhook(url, b.body, b.contentType);
      assert.equal(r.status, 202, r.body);
      assert.ok(r.id);
      sent.set(r.id, b);
    }));
  }
  return sent;
}
