// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the
// lease when it is free or its holder has not renewed it for leaseDuration (measured on our own clock
// from when we last saw it change, so clock skew does not matter); the leader renews every
// retryPeriod and steps down if it cannot renew within renewDeadline; on shutdown it releases the
// lease so a standby takes over at once. Writes use resourceVersion, so two candidates cannot both win.
//
// Every round is bounded: a leader's round must finish by its last renewal + renewDeadline (a candidate's
// within renewDeadline), and its requests are aborted then. A leader that has not renewed by that moment
// stops leading at that moment, whatever its requests are doing, so with renewDeadline < leaseDuration it
// has stepped down before any standby can see the lease expire: two leaders never overlap, even against an
// apiserver that accepts connections and then stalls.
import type { Logger } from '../../shared/logger.ts';
import { ApiError, isConflict, isNotFound, type KubeClient, type KubeObject } from '../../shared/kube/client.ts';
import { Leases } from '../../shared/kube/resource-types.ts';
import { realTimers, type Timers } from './workqueue.ts';

interface LeaseSpec { holderIdentity?: string | null; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number }
interface Lease extends KubeObject { spec?: LeaseSpec }

/** What the elector needs of the API client (a stalling fake in unit tests). */
export type LeaseClient = Pick<KubeClient, 'get' | 'create' | 'replace'>;

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
  timers?: Timers;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

const micro = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

export class LeaderElector {
  readonly #client: LeaseClient;
  readonly #o: Required<Omit<LeaderOptions, 'timers'>> & { timers: Timers };
  #observed?: { record: string; at: number };
  #lastRenew = 0;
  #leading = false;
  #stopped = false;
  #timer?: unknown;
  #loop?: Promise<void>;

  constructor(client: LeaseClient, opts: LeaderOptions) {
    this.#client = client;
    this.#o = { ...opts, leaseDurationMs: opts.leaseDurationMs ?? 15_000, renewDeadlineMs: opts.renewDeadlineMs ?? 10_000, retryPeriodMs: opts.retryPeriodMs ?? 2_000, timers: opts.timers ?? realTimers };
  }

  get isLeader(): boolean { return this.#leading; }

  start(): void { this.#loop = this.#tick(); }

  /** Stops campaigning; a leader releases the lease (holder cleared) so a standby can take it now. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    await this.#loop;
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const signal = AbortSignal.timeout(this.#o.renewDeadlineMs);
      const lease = await this.#client.get<Lease>(Leases, this.#o.namespace, this.#o.name, { signal });
      if (lease.spec?.holderIdentity === this.#o.identity) {
        await this.#client.replace(Leases, { ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: micro(this.#o.timers.now()) } }, undefined, { signal });
      }
    } catch (err) {
      this.#o.logger.warn({ err: String(err) }, 'could not release the leader lease');
    }
    this.#o.onStoppedLeading();
  }

  #stepDown(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.logger.error({ identity: this.#o.identity, reason: why }, 'lost the leader lease');
    this.#o.onStoppedLeading();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const { timers } = this.#o;
    const started = timers.now();
    const deadline = this.#leading ? this.#lastRenew + this.#o.renewDeadlineMs : started + this.#o.renewDeadlineMs;
    const ctl = new AbortController();
    let late = false;
    const expired = new Promise<false>((resolve) => {
      const t = timers.setTimeout(() => {
        late = true;
        ctl.abort(new Error('renew deadline reached'));
        this.#stepDown(`no renewal within the renew deadline (${this.#o.renewDeadlineMs} ms)`);
        resolve(false);
      }, Math.max(0, deadline - started));
      ctl.signal.addEventListener('abort', () => { timers.clearTimeout(t); resolve(false); }, { once: true });
    });
    let ok = false;
    try {
      ok = await Promise.race([this.#tryAcquireOrRenew(ctl.signal), expired]);
    } catch (err) {
      if (!late && !isConflict(err)) this.#o.logger.warn({ err: String(err) }, 'leader lease request failed');
    } finally {
      if (!ctl.signal.aborted) ctl.abort();
    }
    if (late) ok = false; // a renewal that answered after the deadline does not count: we stepped down
    const now = timers.now();
    if (ok) {
      this.#lastRenew = started;
      if (!this.#leading) {
        this.#leading = true;
        this.#o.logger.info({ identity: this.#o.identity, lease: `${this.#o.namespace}/${this.#o.name}` }, 'became leader');
        this.#o.onStartedLeading();
      }
    } else if (this.#leading && now - this.#lastRenew >= this.#o.renewDeadlineMs) {
      this.#stepDown('renewal failed');
    }
    if (this.#stopped) return;
    this.#timer = this.#o.timers.setTimeout(() => { this.#timer = undefined; this.#loop = this.#tick(); }, this.#o.retryPeriodMs);
  }

  /** One round: true when we hold the lease afterwards. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.#o.timers.now();
    const mine: LeaseSpec = {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.#o.leaseDurationMs / 1000)),
      renewTime: micro(now),
    };
    let lease: Lease;
    try {
      lease = await this.#client.get<Lease>(Leases, this.#o.namespace, this.#o.name, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.#client.create(Leases, { metadata: { name: this.#o.name, namespace: this.#o.namespace }, spec: { ...mine, acquireTime: micro(now), leaseTransitions: 0 } }, { signal });
      return true;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.#observed?.record !== record) this.#observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const held = holder !== '' && holder !== this.#o.identity && this.#observed.at + durationMs > now;
    if (held) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.#o.identity ? 0 : 1);
    const acquireTime = holder === this.#o.identity ? spec.acquireTime : micro(now);
    try {
      await this.#client.replace(Leases, { ...lease, spec: { ...mine, acquireTime, leaseTransitions: transitions } }, undefined, { signal });
    } catch (err) {
      if (err instanceof ApiError && isConflict(err)) return false;
      throw err;
    }
    return true;
  }
}
