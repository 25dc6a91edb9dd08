// The controller loop: workers take keys from the queue and turn the reconciler's typed outcome into
// queue actions. A reconcile is level-based: it gets a key, never an event.
import type { Logger } from '../../shared/logger.ts';
import { isConflict } from '../../shared/kube/client.ts';
import type { OperatorMetrics } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';

export type Outcome =
  | { kind: 'done' }
  | { kind: 'requeueAfter'; ms: number }
  | { kind: 'retry'; reason: string }
  | { kind: 'terminal'; reason: string };

export const done = (): Outcome => ({ kind: 'done' });
/** Converged; look again after `ms` (a scheduled token rotation, a grace period ending, a stats poll). */
export const requeueAfter = (ms: number): Outcome => (Number.isFinite(ms) ? { kind: 'requeueAfter', ms: Math.max(1, Math.ceil(ms)) } : { kind: 'done' });
/** Not converged yet (e.g. waiting for a dependency); try again with backoff. */
export const retry = (reason: string): Outcome => ({ kind: 'retry', reason });
/** Cannot converge until the user changes something; recorded in status, not retried. */
export const terminal = (reason: string): Outcome => ({ kind: 'terminal', reason });

/** The earliest of several outcomes' requeues; retry wins over everything. */
export function combine(...outcomes: Outcome[]): Outcome {
  const r = outcomes.find((o) => o.kind === 'retry');
  if (r) return r;
  const delays = outcomes.flatMap((o) => (o.kind === 'requeueAfter' ? [o.ms] : []));
  return delays.length ? requeueAfter(Math.min(...delays)) : done();
}

export interface ControllerOptions {
  name: string;
  reconcile: (key: string) => Promise<Outcome>;
  logger: Logger;
  metrics: OperatorMetrics;
  workers?: number;
  queue?: WorkQueue;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #opts: ControllerOptions;
  #workers: Promise<void>[] = [];

  constructor(opts: ControllerOptions) {
    this.#opts = opts;
    this.name = opts.name;
    this.queue = opts.queue ?? new WorkQueue();
    opts.metrics.queues.set(this.name, () => this.queue.length);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Enqueues after `ms`; more requests meanwhile fold into the first (a debounce). */
  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  start(): void {
    for (let i = 0; i < (this.#opts.workers ?? 2); i++) this.#workers.push(this.#work());
  }

  /** Stops taking keys and waits for reconciles in flight. */
  async stop(): Promise<void> {
    this.queue.shutdown();
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try { await this.process(key); } finally { this.queue.done(key); }
    }
  }

  /** One reconcile and what the queue does with its outcome; public so tests can drive one key without the worker loop. */
  async process(key: string): Promise<Outcome> {
    const { metrics, logger } = this.#opts;
    const labels = { controller: this.name };
    const end = metrics.reconcileDuration.startTimer(labels);
    let outcome: Outcome;
    try {
      outcome = await this.#opts.reconcile(key);
    } catch (err) {
      if (isConflict(err)) {
        // Someone wrote in between; our cache catches up and the next attempt sees it. Not an error.
        logger.debug({ controller: this.name, key }, 'conflict; retrying');
        outcome = { kind: 'retry', reason: 'conflict' };
        metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
        this.queue.addRateLimited(key);
        end();
        return outcome;
      }
      outcome = { kind: 'retry', reason: err instanceof Error ? err.message : String(err) };
    }
    end();
    switch (outcome.kind) {
      case 'done':
        this.queue.forget(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'success' });
        break;
      case 'requeueAfter':
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.ms);
        metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
        break;
      case 'retry': {
        const delay = this.queue.addRateLimited(key);
        const failures = this.queue.failuresOf(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'error' });
        metrics.reconcileErrors.inc(labels);
        logger[failures > 3 ? 'warn' : 'info']({ controller: this.name, key, reason: outcome.reason, retryInMs: delay }, 'reconcile not converged; retrying');
        break;
      }
      case 'terminal':
        this.queue.forget(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'error' });
        metrics.reconcileErrors.inc(labels);
        logger.info({ controller: this.name, key, reason: outcome.reason }, 'reconcile stopped until the object changes');
        break;
    }
    return outcome;
  }
}
