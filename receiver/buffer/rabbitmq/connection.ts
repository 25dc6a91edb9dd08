// One AMQP connection, kept up: on loss it reconnects with exponential backoff and jitter, then runs
// every registered setup step (publisher channel, topology, consumers, history tail) before it reports
// itself up again. A failing setup step drops the connection and the cycle starts over.
// Given several broker URLs (the nodes of a cluster), each attempt takes the next one, round robin: a node
// that goes is followed at once by the next, and the backoff grows only once every node has failed in turn.
import { connect, type ChannelModel } from 'amqplib';
import type { Logger } from '../../../shared/logger.ts';
import { backoffDelay } from '../../../shared/process/backoff.ts';
import { corkMuxWrites } from './cork.ts';
import { nodeOf } from './urls.ts';

export interface ConnectionOptions {
  /** One broker URL, or several (a cluster's nodes) tried in turn. */
  urls: string[];
  logger: Logger;
  /** connection_name shown by RabbitMQ (default hookbridge). */
  name?: string;
  heartbeatSeconds?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export type SetupStep = (model: ChannelModel) => Promise<void>;

export class AmqpConnection {
  readonly #opts: Required<Omit<ConnectionOptions, 'logger' | 'name'>> & { logger: Logger; name: string };
  readonly #setup: SetupStep[] = [];
  readonly #onDown: (() => void)[] = [];
  #model: ChannelModel | undefined;
  #up = false;
  #blocked: string | undefined;
  #closing = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #waiters: { resolve: () => void }[] = [];
  #running = false;
  /** Index into urls of the next attempt. */
  #next = 0;
  #node = '';

  constructor(opts: ConnectionOptions) {
    if (opts.urls.length === 0) throw new Error('no RabbitMQ URL given');
    this.#opts = {
      urls: [...opts.urls], logger: opts.logger, name: opts.name ?? 'hookbridge',
      heartbeatSeconds: opts.heartbeatSeconds ?? 10, reconnectMinMs: opts.reconnectMinMs ?? 100, reconnectMaxMs: opts.reconnectMaxMs ?? 5_000,
    };
  }

  get model(): ChannelModel | undefined { return this.#up ? this.#model : undefined; }
  isUp(): boolean { return this.#up; }
  /** The broker's reason while it blocks this connection's publishes (a memory or disk alarm), else undefined. */
  get blocked(): string | undefined { return this.#blocked; }
  /** host:port of the node the connection is (or was last) up on; never the credentials. */
  get node(): string { return this.#node; }

  /** Runs on every (re)connect, in registration order, before the connection counts as up. */
  onSetup(step: SetupStep): void { this.#setup.push(step); }
  /** Runs synchronously when an up connection is lost. */
  onDown(fn: () => void): void { this.#onDown.push(fn); }

  /** Starts the connect loop; resolves once up, rejects after timeoutMs (the loop keeps trying). */
  async start(timeoutMs: number): Promise<void> {
    this.#closing = false;
    if (!this.#running) { this.#running = true; void this.#cycle(); }
    if (this.#up) return;
    let timer: NodeJS.Timeout | undefined;
    const waiter = { resolve: () => {} };
    try {
      await new Promise<void>((resolve, reject) => {
        waiter.resolve = resolve;
        this.#waiters.push(waiter);
        timer = setTimeout(() => reject(new Error(`RabbitMQ not reachable within ${timeoutMs} ms`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#running = false;
    clearTimeout(this.#timer);
    const model = this.#model;
    this.#model = undefined;
    this.#markDown();
    if (model) await model.close().catch(() => {});
  }

  async #cycle(): Promise<void> {
    if (this.#closing) return;
    const { logger } = this.#opts;
    let model: ChannelModel | undefined;
    const url = this.#opts.urls[this.#next++ % this.#opts.urls.length];
    const node = nodeOf(url);
    try {
      // noDelay: amqplib turns Nagle ON by default (setNoDelay(false)); a lone basic.ack or publish then
      // waits for the peer's delayed ACK (~40 ms) before it leaves, and every delivery cycle pays for it.
      model = await connect(withHeartbeat(url, this.#opts.heartbeatSeconds), { timeout: 10_000, noDelay: true, clientProperties: { connection_name: this.#opts.name } });
      if (this.#closing) { await model.close().catch(() => {}); return; }
      if (!corkMuxWrites(model)) logger.debug('amqplib internals not as expected: frames are written one by one');
      this.#model = model;
      const m = model;
      m.on('error', (err: Error) => logger.warn({ err: err.message, node }, 'rabbitmq connection error'));
      m.on('close', () => this.#lost(m));
      this.#blocked = undefined;
      m.on('blocked', (reason: string) => {
        if (this.#model === m) this.#blocked = reason || 'resource alarm';
        logger.warn({ reason }, 'rabbitmq blocked publishing (resource alarm): ingest answers 503 until it unblocks');
      });
      m.on('unblocked', () => {
        if (this.#model === m) this.#blocked = undefined;
        logger.info('rabbitmq unblocked publishing');
      });
      for (const step of this.#setup) await step(m);
      if (this.#model !== m) return; // lost during setup; #lost scheduled the next cycle
      this.#up = true;
      this.#attempt = 0;
      this.#node = node;
      logger.info({ node }, 'rabbitmq connected');
      for (const w of this.#waiters) w.resolve();
    } catch (err) {
      logger.warn({ err: (err as Error).message, attempt: this.#attempt, node }, 'rabbitmq connect failed');
      if (model) {
        if (this.#model === model) this.#model = undefined;
        await model.close().catch(() => {});
      }
      this.#schedule();
    }
  }

  #lost(model: ChannelModel): void {
    if (this.#model !== model) return;
    this.#model = undefined;
    if (this.#closing) return;
    this.#opts.logger.warn({ node: this.#node, nodes: this.#opts.urls.length }, this.#opts.urls.length > 1 ? 'rabbitmq connection lost; moving to the next node' : 'rabbitmq connection lost; reconnecting');
    this.#markDown();
    this.#schedule();
  }

  #markDown(): void {
    this.#blocked = undefined;
    if (!this.#up) return;
    this.#up = false;
    for (const fn of this.#onDown) fn();
  }

  #schedule(): void {
    if (this.#closing) return;
    clearTimeout(this.#timer);
    // With n nodes the delay doubles once per round, so a lost node is followed by the next one at once.
    // Jitter of ±20 % around the ceiling (not full jitter), as before the backoff was shared.
    const rounds = Math.floor(this.#attempt++ / this.#opts.urls.length);
    const base = backoffDelay(rounds, { baseMs: this.#opts.reconnectMinMs, capMs: this.#opts.reconnectMaxMs, jitter: 'none' });
    const delay = base * (0.8 + Math.random() * 0.4);
    this.#timer = setTimeout(() => void this.#cycle(), delay);
  }
}

/** Heartbeats detect a dead broker without a TCP reset; an explicit `heartbeat` in the URL wins. */
function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}
