// One dialed connection to the receiver and its whole life: the hello deadline, heartbeats both ways,
// the messages it handed out that are not settled yet, and retirement — when a newer stream has taken
// over, it takes no more messages, lets the ones it holds be settled on it, then closes with 1000.
import type { Logger } from '../../shared/logger.ts';
import { CloseCode, DEFAULT_HEARTBEAT_MS, MISSED_HEARTBEATS, type ClientFrame, type HelloFrame, type MessageFrame, type ServerFrame } from '../../shared/protocol.ts';
import type { Dial, Transport } from './transport.ts';

/** One accepted connection. Settlements for its messages go back on it, or nowhere once it is closed. */
export interface Session {
  readonly hello: HelloFrame;
  readonly open: boolean;
  send(frame: ClientFrame): boolean;
}

export interface ConnectionOptions {
  url: string;
  ackUrl?: string;
  dial: Dial;
  token: string;
  logger: Logger;
  connectTimeoutMs: number;
  onHello(c: Connection): void;
  onMessage(frame: MessageFrame, session: Session): void;
  /** Called exactly once, when the transport is over. */
  onClose(c: Connection, code: number, reason: string): void;
}

export class Connection {
  readonly token: string;
  readonly startedAt = Date.now();
  /** Resolves once the transport is over. */
  readonly ended: Promise<void>;
  readonly #o: ConnectionOptions;
  readonly #transport: Transport;
  readonly #held = new Set<string>();
  #session: (Session & { open: boolean }) | undefined;
  #helloTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #lastSeen = Date.now();
  #retiring = false;
  #retireReason = '';
  #closing = false;
  #markEnded!: () => void;

  constructor(o: ConnectionOptions) {
    this.#o = o;
    this.token = o.token;
    this.ended = new Promise((resolve) => { this.#markEnded = resolve; });
    this.#helloTimer = setTimeout(() => {
      this.#helloTimer = undefined;
      o.logger.warn('no hello from the receiver in time; dropping the connection');
      this.close(CloseCode.HeartbeatTimeout, 'no hello');
    }, o.connectTimeoutMs);
    this.#transport = o.dial({
      url: o.url, ackUrl: o.ackUrl, token: o.token, logger: o.logger, connectTimeoutMs: o.connectTimeoutMs,
      handlers: { onFrame: (f) => this.#onFrame(f), onClose: (code, reason) => this.#onClose(code, reason) },
    });
  }

  /** The hello arrived and the connection is still up. */
  get live(): boolean { return this.#session?.open ?? false; }
  get current(): Session | undefined { return this.#session; }
  get isRetiring(): boolean { return this.#retiring; }
  /** Messages handed out on this connection and not settled yet. */
  get unsettled(): number { return this.#held.size; }

  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#drainTimer);
    this.#transport.close(code, reason);
  }

  /**
   * A newer stream has taken over: take no more messages here (the receiver puts the ones we leave
   * unsettled back in the queue when this closes), let those handed out be settled on this connection,
   * then close with 1000 — at the latest after `drainMs`, when the receiver would requeue them anyway.
   */
  retire(drainMs: number, reason: string): void {
    if (this.#retiring) return;
    this.#retiring = true;
    this.#retireReason = reason;
    this.#o.logger.info({ session: this.#session?.hello.session, unsettled: this.#held.size }, 'retiring the old stream once what it holds is settled');
    if (this.#held.size === 0) { this.close(1000, reason); return; }
    this.#drainTimer = setTimeout(() => {
      this.#o.logger.warn({ unsettled: this.#held.size }, 'old stream still holds unsettled messages after the ack timeout: closing it');
      this.close(1000, reason);
    }, drainMs);
  }

  #onFrame(f: ServerFrame): void {
    this.#lastSeen = Date.now();
    switch (f.type) {
      case 'hello': {
        if (this.#session) return;
        clearTimeout(this.#helloTimer);
        this.#helloTimer = undefined;
        const session = { hello: f, open: true, send: (frame: ClientFrame) => this.#send(session, frame) };
        this.#session = session;
        this.#startHeartbeat(f.heartbeatMs > 0 ? f.heartbeatMs : DEFAULT_HEARTBEAT_MS);
        this.#o.onHello(this);
        return;
      }
      case 'ping': this.#transport.send({ type: 'pong', t: f.t }); return;
      case 'pong': return;
      case 'message':
        if (!this.#session) this.#o.logger.warn({ messageId: f.id }, 'message before hello: ignored (it will be redelivered)');
        else if (this.#retiring) this.#o.logger.debug({ messageId: f.id }, 'message on a retiring stream: left for the new stream');
        else {
          this.#held.add(f.id);
          this.#o.onMessage(f, this.#session);
        }
        return;
    }
  }

  #send(session: { open: boolean }, frame: ClientFrame): boolean {
    if (!session.open) return false;
    this.#transport.send(frame);
    if ((frame.type === 'ack' || frame.type === 'nack') && this.#held.delete(frame.id) && this.#retiring && this.#held.size === 0) {
      this.close(1000, this.#retireReason);
    }
    return true;
  }

  #onClose(code: number, reason: string): void {
    clearTimeout(this.#helloTimer);
    clearTimeout(this.#drainTimer);
    this.#stopHeartbeat();
    this.#closing = true;
    if (this.#session) this.#session.open = false;
    this.#o.onClose(this, code, reason);
    this.#markEnded();
  }

  #startHeartbeat(everyMs: number): void {
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastSeen > MISSED_HEARTBEATS * everyMs) {
        this.#o.logger.warn({ silentMs: Date.now() - this.#lastSeen }, 'receiver silent for 3 heartbeat intervals: dropping the connection');
        this.#stopHeartbeat();
        this.close(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
        return;
      }
      this.#transport.send({ type: 'ping', t: Date.now() });
    }, everyMs);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
