// DestinationHealthy: has the Subscription's destination answered 410 Gone (SPEC §6: "410 → dead, and
// the Subscription reports it")? Pure: computed from the receiver's figures for this Subscription and the
// previous status, table-tested.
//
// The receiver keeps `destination_gone_at` and `last_delivery_at` in memory (a restart forgets them; with
// several receivers each knows its own), so the status is the memory: both times only move forward, and
// a 410 is over only when a later successful delivery shows the destination is back.
//
//   False DestinationGone       a 410 and no successful delivery since: every message is dead-lettered
//   True  DestinationRecovered  a delivery succeeded after the last 410
//   True  NoGoneAnswer          no 410 seen for this Subscription
//   Unknown DestinationChanged  spec.destination changed after the 410: waiting for a delivery (or another 410)
//   Unknown NoDeliveryStats     the receiver has told nothing yet (no --receiver-url, unreachable, not loaded)
// Right after the operator starts, before its first stats poll has been answered, the previous condition
// stands as it is (a restart or a new leader neither flaps it to Unknown nor resets lastTransitionTime).
import { ConditionType as T, Reason } from '../../api/conditions.ts';
import type { SubscriptionStatus } from '../../api/status.ts';
import { condFalse, condTrue, condUnknown, findCondition, type ConditionInput } from '../../runtime/conditions.ts';
import type { Figures } from '../../stats/receiver-stats.ts';

export interface DestinationHealthInput {
  /** The Subscription's metadata.creationTimestamp: older 410s belong to an earlier object of that name. */
  createdAt?: string;
  /** The destination URL now (spec). */
  destination?: string;
  previous?: SubscriptionStatus;
  figures?: Figures;
  /** No figures yet because the operator just started: the previous condition stands (no flap, no new lastTransitionTime). */
  pending?: boolean;
}

export interface DestinationHealth {
  condition: ConditionInput;
  /** The last 410 Gone known for this Subscription (kept after recovery, like lastDeliveryAt). */
  destinationGoneAt?: string;
  lastDeliveryAt?: string;
}

const ms = (t: string | undefined): number => (t === undefined ? NaN : Date.parse(t));

/** The later of two times (either may be absent or unparsable). */
export function latest(a: string | undefined, b: string | undefined): string | undefined {
  const [ta, tb] = [ms(a), ms(b)];
  if (!Number.isFinite(tb)) return Number.isFinite(ta) ? a : undefined;
  return Number.isFinite(ta) && ta >= tb ? a : b;
}

export function destinationHealth(i: DestinationHealthInput): DestinationHealth {
  const prev = i.previous;
  const created = ms(i.createdAt);
  const reported = i.figures?.destinationGoneAt;
  // The receiver keeps a 410 by name: one from before this object existed is not this object's.
  const fresh = reported !== undefined && !(ms(reported) < created) ? reported : undefined;
  const goneAt = latest(fresh, prev?.destinationGoneAt);
  const lastDeliveryAt = latest(i.figures?.lastDeliveryAt, prev?.lastDeliveryAt);
  const out = (condition: ConditionInput): DestinationHealth => ({
    condition,
    ...(goneAt !== undefined ? { destinationGoneAt: goneAt } : {}),
    ...(lastDeliveryAt !== undefined ? { lastDeliveryAt } : {}),
  });

  const was = findCondition(prev?.conditions, T.DestinationHealthy);
  if (i.pending && was && prev?.destination === i.destination) {
    return out({ type: was.type, status: was.status, reason: was.reason, message: was.message });
  }
  if (goneAt === undefined) {
    if (!i.figures) return out(condUnknown(T.DestinationHealthy, Reason.NoDeliveryStats, 'The receiver has not reported delivery figures for this Subscription yet'));
    return out(condTrue(T.DestinationHealthy, Reason.NoGoneAnswer, 'The destination has not answered 410 Gone'));
  }
  if (ms(lastDeliveryAt) > ms(goneAt)) {
    return out(condTrue(T.DestinationHealthy, Reason.DestinationRecovered, `The destination accepted a delivery at ${lastDeliveryAt} after answering 410 Gone at ${goneAt}`));
  }
  const changed = was?.status === 'False' && prev?.destination !== undefined && prev.destination !== i.destination;
  // Since the change: still the same 410 (not a newer one) → waiting for the new destination to prove itself.
  const waiting = was?.reason === Reason.DestinationChanged && goneAt === prev?.destinationGoneAt;
  if (changed || waiting) {
    return out(condUnknown(T.DestinationHealthy, Reason.DestinationChanged,
      `The destination changed to ${i.destination ?? 'an unresolved destination'} after the previous one answered 410 Gone at ${goneAt}; waiting for a delivery`));
  }
  return out(condFalse(T.DestinationHealthy, Reason.DestinationGone,
    `The destination answered 410 Gone at ${goneAt}; its messages are dead-lettered — fix the destination (then redrive the dead letters) or delete the Subscription`));
}
