// What "arrived" means at the destination: every sent message, by its id, with its exact bytes, its
// content type and a valid Standard Webhooks signature by the Subscription's signing secret.
import assert from 'node:assert/strict';
import type { Destination, Received } from './destination.ts';
import { verifyStandardWebhook } from './standard-webhooks.ts';

export interface Sent { body: Buffer; contentType: string }

export function assertDelivered(dest: Destination, sent: Map<string, Sent>, signingSecret: string, path = '/hooks'): void {
  const got = dest.byId();
  for (const [id, s] of sent) {
    const r = got.get(id) as Received;
    assert.ok(r, `message ${id} delivered`);
    assert.ok(r.body.equals(s.body), `message ${id}: body byte-identical`);
    assert.equal(r.headers['content-type'], s.contentType, `message ${id}: content type relayed`);
    assert.equal(r.path, path);
    verifyStandardWebhook(signingSecret, r.headers, r.body, r.at);
  }
}

/** True once every id in `ids` has arrived. */
export const allArrived = (dest: Destination, ids: Iterable<string>): boolean => {
  const got = dest.byId();
  for (const id of ids) if (!got.has(id)) return false;
  return true;
};
