// What "arrived" means at the destination: every sent message, by its id, with its exact bytes, its
// content type and a valid Standard Webhooks signature by the Subscription's signing secret.
import assert from 'node:assert/strict';
import type { Received } from './destination.ts';
import { verifyStandardWebhook } from './standard-webhooks.ts';

export interface Sent { body: Buffer; contentType: string }

/** What a destination recorded, by message id (test/e2e/lib/destination.ts). */
export interface Recorded { byId(): Map<string, Received> }

export function assertDelivered(dest: Recorded, sent: Map<string, Sent>, signingSecret: string, path = '/hooks'): void {
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
export const allArrived = (dest: Recorded, ids: Iterable<string>): boolean => {
  const got = dest.byId();
  for (const id of ids) if (!got.has(id)) return false;
  return true;
};
