// The connections consumer channels live on. Every consumer has an AMQP channel of its own (consumers.ts),
// and one connection carries at most channel_max of them (RabbitMQ's default 2047; amqplib then throws
// "No channels left to allocate"): a receiver with thousands of streams needs several. Connections are
// opened on demand, each holding at most `perConnection` channels (and never more than the channel_max
// the broker negotiated); the lowest one with room takes the next consumer, and one left empty is closed
// unless it is the last. Each reconnects on its own (AmqpConnection) and re-attaches only its consumers.
import type { ChannelModel } from 'amqplib';
import type { Logger } from '../../../shared/logger.ts';
import type { AmqpConnection } from './connection.ts';

/** What the pool uses of an AmqpConnection. */
export type PoolConnection = Pick<AmqpConnection, 'model' | 'isUp' | 'onSetup' | 'onDown' | 'start' | 'close'>;

/** Channels one consumer connection carries by default: well below RabbitMQ's default channel_max (2047). */
export const DEFAULT_CHANNELS_PER_CONNECTION = 500;

/** One consumer connection, as Consumers sees it. */
export interface ConsumerHost {
  readonly id: number;
  /** The connection's channel model while it is up, else undefined. */
  readonly model: ChannelModel | undefined;
}

interface Member extends ConsumerHost {
  readonly conn: PoolConnection;
  /** Channels taken: one per consumer placed here, until its channel is closed for good. */
  used: number;
  /** Resolves once the connection is up the first time; rejects if it never came up in time. */
  ready: Promise<void>;
  everUp: boolean;
  failed: boolean;
}

export interface ConsumerConnectionsOptions {
  /** Most channels on one connection (at most the negotiated channel_max is used either way). */
  perConnection?: number;
  /** A new connection for member `id` (not started). */
  connect(id: number): PoolConnection;
  /** How long acquire() waits for a new connection. */
  connectTimeoutMs: number;
  logger: Logger;
  /** Runs on every (re)connect of a member, before it counts as up: re-attach its consumers. */
  onSetup(host: ConsumerHost, model: ChannelModel): Promise<void>;
  /** Runs when an up member is lost: its consumers' channels are gone. */
  onDown(host: ConsumerHost): void;
}

export class ConsumerConnections {
  readonly #o: ConsumerConnectionsOptions;
  readonly #perConnection: number;
  readonly #members: Member[] = [];
  #nextId = 0;
  #closed = false;

  constructor(o: ConsumerConnectionsOptions) {
    this.#o = o;
    const per = o.perConnection ?? DEFAULT_CHANNELS_PER_CONNECTION;
    if (!Number.isInteger(per) || per < 1) throw new Error(`channels per connection must be a whole number >= 1, got ${per}`);
    this.#perConnection = per;
  }

  /** Open consumer connections (up or reconnecting). */
  get size(): number { return this.#members.length; }

  /** Every connection that has been up holds its channels now (one that is reconnecting does not). */
  allUp(): boolean { return this.#members.every((m) => !m.everUp || m.conn.isUp()); }

  /**
   * A connection with a free channel, that channel counted as taken (give it back with release()): the
   * lowest up one with room, else a new one. Rejects when a new one does not come up in time.
   */
  async acquire(): Promise<ConsumerHost> {
    if (this.#closed) throw new Error('closed');
    let m = this.#members.find((x) => !x.failed && x.used < this.#limit(x) && (x.conn.isUp() || !x.everUp));
    m ??= this.#open();
    m.used++;
    try {
      await m.ready;
    } catch (err) {
      this.release(m);
      throw err;
    }
    // Taken before the broker said its channel_max, and that is lower than the cap: look again.
    if (m.used > this.#limit(m)) { this.release(m); return this.acquire(); }
    return m;
  }

  /** A channel acquire() counted is closed for good (its consumer was cancelled). */
  release(host: ConsumerHost): void {
    const m = this.#members.find((x) => x === host);
    if (!m) return;
    m.used = Math.max(0, m.used - 1);
    if (m.used === 0 && (m.failed || this.#members.length > 1)) this.#drop(m);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = this.#members.splice(0);
    await Promise.all(all.map((m) => m.conn.close()));
  }

  /** Channels this member may carry: the configured cap, within what the broker negotiated. */
  #limit(m: Member): number {
    const max = (m.conn.model?.connection as { channelMax?: number } | undefined)?.channelMax;
    return max ? Math.min(this.#perConnection, max) : this.#perConnection;
  }

  #open(): Member {
    const id = this.#nextId++;
    const conn = this.#o.connect(id);
    const member: Member = {
      id, conn, used: 0, everUp: false, failed: false,
      get model() { return conn.model; },
      ready: Promise.resolve(),
    };
    conn.onSetup((model) => this.#o.onSetup(member, model));
    conn.onDown(() => this.#o.onDown(member));
    member.ready = conn.start(this.#o.connectTimeoutMs).then(
      () => { member.everUp = true; },
      (err: Error) => {
        member.failed = true;
        this.#o.logger.warn({ connection: id, err: err.message }, 'rabbitmq consumer connection did not come up');
        throw err;
      });
    member.ready.catch(() => {}); // awaited by every acquire() that picked this member
    this.#members.push(member);
    this.#o.logger.info({ connection: id, connections: this.#members.length }, 'rabbitmq consumer connection opened');
    return member;
  }

  #drop(m: Member): void {
    const i = this.#members.indexOf(m);
    if (i >= 0) this.#members.splice(i, 1);
    void m.conn.close();
  }
}
