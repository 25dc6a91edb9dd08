// events.k8s.io/v1 Events with constant reasons, recorded only when something really changed (the
// callers decide that; a short memory here also stops a retry loop from repeating the same event).
// Best effort: an event that cannot be written is logged, never fails a reconcile. Notes carry no secrets.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/logger.ts';
import type { EventReason } from '../api/conditions.ts';
import { apiVersionOf, type KubeClient, type KubeObject, type ResourceType } from '../../shared/kube/client.ts';
import { Events } from '../../shared/kube/resource-types.ts';

export const REPORTING_CONTROLLER = 'hookbridge.io/operator';
const REPEAT_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  readonly #client: KubeClient;
  readonly #instance: string;
  readonly #logger: Logger;
  readonly #recent = new Map<string, number>();

  constructor(client: KubeClient, instance: string, logger: Logger) {
    this.#client = client;
    this.#instance = instance.slice(0, 128);
    this.#logger = logger;
  }

  /** Records `reason` on `regarding` (of type `type`). `action` is what the operator did, e.g. Rotate. */
  record(type: ResourceType, regarding: KubeObject, kind: 'Normal' | 'Warning', reason: EventReason, action: string, note: string): void {
    const m = regarding.metadata;
    const dedup = `${m.uid}|${reason}|${note}`;
    const now = Date.now();
    if ((this.#recent.get(dedup) ?? 0) > now - REPEAT_WINDOW_MS) return;
    this.#recent.set(dedup, now);
    if (this.#recent.size > 10_000) for (const [k, t] of this.#recent) if (t < now - REPEAT_WINDOW_MS) this.#recent.delete(k);
    const event = {
      metadata: { name: `${m.name}.${now.toString(16)}${randomBytes(4).toString('hex')}`, namespace: m.namespace ?? 'default' },
      eventTime: new Date(now).toISOString().replace('Z', '000Z'),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.#instance,
      action,
      reason,
      type: kind,
      note: note.slice(0, 1024),
      regarding: { apiVersion: apiVersionOf(type), kind: type.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
    };
    this.#client.create(Events, event).catch((err: unknown) => this.#logger.warn({ reason, object: `${m.namespace}/${m.name}`, err: String(err) }, 'could not record event'));
  }
}
