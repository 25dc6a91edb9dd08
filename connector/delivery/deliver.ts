// One subscription's delivery pipeline for one message: dedupe → destination guard → transform →
// circuit breaker → rate limit → sign → HTTP attempt → outcome class → the ack/nack frame to send.
// It never sleeps for a retry: retries wait in the broker (nack retry with a delay).
import type { Logger } from '../../shared/logger.ts';
import type { AckFrame, AttemptResult, MessageFrame, NackFrame } from '../../shared/protocol.ts';
import type { ConnectorSubscription } from '../../shared/config.ts';
import { codeClass } from '../../shared/metrics.ts';
import type { Clock } from '../clock.ts';
import type { ConnectorMetrics } from '../metrics.ts';
import type { HttpSender } from './attempt.ts';
import { CIRCUIT_GAUGE, CircuitBreaker } from './circuit.ts';
import { Dedupe } from './dedupe.ts';
import type { GuardVerdict } from './guard.ts';
import { buildHeaders, traceIdOf } from './headers.ts';
import { classify, destinationHealthy } from './policy.ts';
import { TokenBucket } from '../../shared/process/token-bucket.ts';
import { signingProblem } from '../../shared/signing.ts';
import { transform } from './transform.ts';

export type ReportOutcome = 'success' | 'retry' | 'dead' | 'duplicate' | 'released';
export interface DeliveryReport {
  id: string; subscription: string; eventType?: string; attempt: number; outcome: ReportOutcome;
  status?: number; latencyMs: number; reason?: string; gone?: boolean; delayMs?: number;
}
/** `frame` is absent when the message is left unsettled (shutdown before it was attempted). */
export interface Settlement { frame?: AckFrame | NackFrame; report: DeliveryReport }

export interface DelivererDeps {
  sub: ConnectorSubscription;
  /** Current signing secrets; undefined when secrets are configured but none can be read (then we do not send unsigned). */
  signingSecrets: () => string[] | undefined;
  guard: { check(url: string): Promise<GuardVerdict> };
  sender: HttpSender;
  clock: Clock;
  metrics: ConnectorMetrics;
  logger: Logger;
  random?: () => number;
}

/** Per message: the stream's ack timeout (to bound holding) and the shutdown signal. */
export interface DeliverContext { signal: AbortSignal; ackTimeoutMs: number }

const sleep = (ms: number, signal: AbortSignal): Promise<boolean> => new Promise((resolve) => {
  if (signal.aborted) return resolve(false);
  const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true); }, ms);
  const onAbort = () => { clearTimeout(t); resolve(false); };
  signal.addEventListener('abort', onAbort, { once: true });
});

export class Deliverer {
  readonly #d: DelivererDeps;
  readonly #labels: { namespace: string; subscription: string };
  /** Label children per outcome/code class, made once: no label hashing per delivery. */
  readonly #children = new Map<string, { inc(): void } | { observe(v: number): void }>();
  readonly #inFlight: { inc(): void; dec(): void };
  readonly #dedupe: Dedupe<Settlement>;
  readonly circuit: CircuitBreaker | undefined;
  readonly #bucket: TokenBucket | undefined;

  constructor(d: DelivererDeps) {
    this.#d = d;
    this.#labels = { namespace: d.sub.namespace, subscription: d.sub.name };
    this.#dedupe = new Dedupe(d.clock);
    this.#inFlight = d.metrics.inFlight.labels(this.#labels);
    const cb = d.sub.delivery.circuitBreaker;
    d.metrics.circuit.set(this.#labels, 0);
    this.circuit = cb ? new CircuitBreaker(cb, d.clock, (s) => {
      d.metrics.circuit.set(this.#labels, CIRCUIT_GAUGE[s]);
      d.logger.warn({ subscription: `${d.sub.namespace}/${d.sub.name}`, circuit: s }, `circuit breaker ${s}`);
    }) : undefined;
    const rate = d.sub.delivery.rateLimitPerSecond;
    this.#bucket = rate ? new TokenBucket(rate, d.clock) : undefined;
  }

  /** Deliver one message; concurrent copies of the same id share one delivery. */
  deliver(m: MessageFrame, ctx: DeliverContext): Promise<Settlement> {
    if (this.#dedupe.wasDelivered(m.id)) return Promise.resolve(this.#settle(m, { kind: 'duplicate' }));
    const running = this.#dedupe.inProgress(m.id);
    if (running) return running.then((s) => ({ ...s, report: { ...s.report, attempt: m.attempt } }));
    const g = this.#inFlight;
    g.inc();
    const p = this.#run(m, ctx).finally(() => g.dec());
    return this.#dedupe.track(m.id, p);
  }

  async #run(m: MessageFrame, ctx: DeliverContext): Promise<Settlement> {
    const { sub } = this.#d;
    const url = sub.destination.url;
    const secrets = this.#d.signingSecrets();
    // Never send unsigned or signed with a key the destination would derive differently: wait (retry) for
    // a readable, well-formed secret, as for a transient failure.
    const unusable = secrets === undefined ? 'signing secret unavailable' : signingProblem(sub.signing.scheme, secrets);
    if (unusable !== undefined || secrets === undefined) {
      const reason = unusable ?? 'signing secret unavailable';
      const o = classify({ error: reason }, m.attempt, sub.delivery, this.#d.clock.now(), this.#d.random);
      return this.#settle(m, o.kind === 'retry' ? o : { kind: 'dead', reason: o.kind === 'dead' ? o.reason : reason });
    }
    const verdict = await this.#d.guard.check(url);
    if (!verdict.ok) return this.#settle(m, { kind: 'dead', reason: `destination refused: ${verdict.reason}` });
    const t = transform(sub.transform, { id: m.id, eventType: m.eventType, receivedAt: m.receivedAt, contentType: m.contentType, body: Buffer.from(m.body, 'base64') });
    if (!t.ok) return this.#settle(m, { kind: 'dead', reason: t.reason });

    // Circuit open: hold the message (its window slot keeps the server from pushing more) while the ack
    // timeout allows, so no attempt is burnt; beyond that hand it back with the remaining open time.
    let probe = false;
    if (this.circuit) {
      const holdUntil = this.#d.clock.now() + Math.max(0, ctx.ackTimeoutMs - sub.delivery.timeoutMs - 2000);
      for (;;) {
        const a = this.circuit.admit();
        if (a.allowed) { probe = a.probe; break; }
        const left = holdUntil - this.#d.clock.now();
        if (a.waitMs > left) return this.#settle(m, { kind: 'retry', delayMs: a.waitMs, reason: 'circuit open', attempted: false });
        if (!(await sleep(a.waitMs, ctx.signal))) return this.#settle(m, { kind: 'released' });
      }
    }
    if (this.#bucket) {
      const wait = this.#bucket.reserve();
      if (wait > 0 && !(await sleep(wait, ctx.signal))) {
        this.#bucket.refund();
        this.circuit?.release(probe);
        return this.#settle(m, { kind: 'released' });
      }
    }
    if (ctx.signal.aborted) { this.circuit?.release(probe); return this.#settle(m, { kind: 'released' }); }

    const headers = buildHeaders(m, t.body, t.contentType, { scheme: sub.signing.scheme, secrets }, this.#d.clock.now());
    const res = await this.#d.sender.send({ url, headers, body: t.body, timeoutMs: sub.delivery.timeoutMs, signal: ctx.signal });
    const cls = codeClass(res.status);
    this.#durationOf(cls).observe(res.latencyMs / 1000);
    const result: AttemptResult = { latencyMs: res.latencyMs, ...(res.status !== undefined ? { statusCode: res.status } : {}), ...(res.error ? { error: res.error } : {}) };

    if (res.status === undefined && ctx.signal.aborted) {
      // Shutdown cut the attempt short: hand it straight back; it is not the destination's fault, so it
      // does not count against maxAttempts (attempted: false).
      this.circuit?.release(probe);
      this.#attemptsOf('retry', cls).inc();
      return this.#settle(m, { kind: 'retry', delayMs: 0, reason: `connector shutting down (${res.error ?? 'aborted'})`, attempted: false }, result);
    }
    const o = classify({ status: res.status, retryAfter: res.retryAfter, error: res.error }, m.attempt, sub.delivery, this.#d.clock.now(), this.#d.random);
    this.circuit?.record(destinationHealthy(res.status), probe);
    this.#attemptsOf(o.kind, cls).inc();
    if (o.kind === 'success') this.#dedupe.markDelivered(m.id);
    return this.#settle(m, o, result);
  }

  #attemptsOf(outcome: string, cls: string): { inc(): void } {
    const key = `a:${outcome}:${cls}`;
    let c = this.#children.get(key) as { inc(): void } | undefined;
    if (!c) { c = this.#d.metrics.attempts.labels({ ...this.#labels, outcome, code_class: cls }); this.#children.set(key, c); }
    return c;
  }

  #durationOf(cls: string): { observe(v: number): void } {
    const key = `d:${cls}`;
    let h = this.#children.get(key) as { observe(v: number): void } | undefined;
    if (!h) { h = this.#d.metrics.duration.labels({ ...this.#labels, code_class: cls }); this.#children.set(key, h); }
    return h;
  }

  #settle(
    m: MessageFrame,
    o: { kind: 'success' | 'duplicate' | 'released' } | { kind: 'retry'; delayMs: number; reason: string; attempted?: false } | { kind: 'dead'; reason: string; gone?: boolean },
    result?: AttemptResult,
  ): Settlement {
    const report: DeliveryReport = {
      id: m.id, subscription: `${this.#d.sub.namespace}/${this.#d.sub.name}`, attempt: m.attempt, outcome: o.kind,
      latencyMs: result?.latencyMs ?? 0,
      ...(m.eventType ? { eventType: m.eventType } : {}),
      ...(result?.statusCode !== undefined ? { status: result.statusCode } : {}),
    };
    const withResult = result ? { result } : {};
    // The hot path (success at info level) builds no child logger.
    if (o.kind === 'success' && !this.#d.logger.isLevelEnabled('debug')) return { frame: { type: 'ack', id: m.id, ...withResult }, report };
    const log = this.#d.logger.child({ messageId: m.id, channel: this.#d.sub.channel.namespace + '/' + this.#d.sub.channel.name, subscription: report.subscription, traceId: traceIdOf(m.traceparent), attempt: m.attempt });
    switch (o.kind) {
      case 'success':
        log.debug({ status: report.status, latencyMs: report.latencyMs }, 'delivered');
        return { frame: { type: 'ack', id: m.id, ...withResult }, report };
      case 'duplicate':
        log.info('duplicate of a message delivered recently: acked without re-sending');
        return { frame: { type: 'ack', id: m.id }, report };
      case 'released':
        log.info('shutting down before the attempt: left for redelivery');
        return { report };
      case 'retry': {
        this.#d.metrics.retries.inc(this.#labels);
        // Not attempted: the receiver parks it with the same attempt number (and records why).
        const untried = o.attempted === false ? { attempted: false, reason: o.reason } : {};
        log.info({ status: report.status, error: result?.error, delayMs: o.delayMs }, `${o.attempted === false ? 'not attempted' : 'delivery failed'}, retry in ${o.delayMs}ms: ${o.reason}`);
        return { frame: { type: 'nack', id: m.id, action: 'retry', delayMs: o.delayMs, ...untried, ...withResult }, report: { ...report, reason: o.reason, delayMs: o.delayMs } };
      }
      case 'dead':
        log.warn({ status: report.status, error: result?.error, gone: o.gone ?? false }, `delivery failed permanently: ${o.reason}`);
        return { frame: { type: 'nack', id: m.id, action: 'dead', reason: o.reason, ...withResult }, report: { ...report, reason: o.reason, gone: o.gone ?? false } };
    }
  }
}
