// One subscription's stream to the receiver, kept up forever: re-read the token before every connect and
// reconnect with exponential backoff + full jitter. A token change is make-before-break: while a stream
// works, the new token gets a second stream; once its hello arrives the old one is retired (it settles
// what it holds, on itself, then closes with 1000). A refused new token leaves the old stream working and
// is retried with the ordinary backoff; only a stream whose token did not change waits the long auth
// backoff after a 4001. A receiver with no room for a second stream (4003) gets break-before-make, the old
// stream still settling first. Heartbeats and draining live in connection.ts.
//
// Two explicit state machines, each changed only by the methods below and each owning its timer:
// `Line` is the stream the client keeps up, `Switch` the make-before-break attempt of a new token while
// the line is open. Streams that were taken over drain on their own in `retiring`.
import type { Logger } from '../../shared/logger.ts';
import { CloseCode, type MessageFrame } from '../../shared/protocol.ts';
import { Backoff } from '../../shared/process/backoff.ts';
import { Connection, type Session } from './connection.ts';
import { isLoud, isSlow, isSoon, meaningOf } from './close-codes.ts';
import { reconnectDelay, type ReconnectBackoffOptions } from './reconnect-delay.ts';
import type { Dial } from './transport.ts';

export type { Session } from './connection.ts';
export { CLOSE_MEANING } from './close-codes.ts';
export type { ReconnectBackoffOptions } from './reconnect-delay.ts';

export interface TokenSource {
  read(): Promise<string>;
  onChange(listener: (value: string) => void): () => void;
}

export interface StreamEvents {
  onMessage(frame: MessageFrame, session: Session): void;
  /** A new session is taking messages (after a connect, or after a token switch). */
  onConnected?(session: Session): void;
  /** The stream is down (a retired stream closing after a token switch is not reported). */
  onDisconnected?(code: number, reason: string): void;
}

export interface StreamClientOptions {
  url: string;
  ackUrl?: string;
  dial: Dial;
  token: TokenSource;
  events: StreamEvents;
  logger: Logger;
  backoff?: ReconnectBackoffOptions;
  /** A connection that lasted this long resets the backoff. */
  stableMs?: number;
  connectTimeoutMs?: number;
  /** How long a retired stream may take to settle what it holds (default: the channel's ack timeout). */
  drainTimeoutMs?: number;
  random?: () => number;
  /** Counts reconnect attempts (the first dial is not one). */
  onReconnectAttempt?(): void;
}

/** The stream the client keeps up. */
type Line =
  | { kind: 'idle' }
  /** Reading the token before a dial (a stop waits for the read). */
  | { kind: 'reading'; read: Promise<void> }
  /** Dialed, waiting for the hello. */
  | { kind: 'connecting'; conn: Connection }
  /** The hello arrived: messages flow. */
  | { kind: 'open'; conn: Connection }
  /** The receiver has no room for a second stream: this one settles what it holds and closes, then the new token dials at once. */
  | { kind: 'handingOver'; conn: Connection }
  | { kind: 'backingOff'; timer: NodeJS.Timeout }
  /** Stopped; `conn` is the stream still closing, whose end is reported once. */
  | { kind: 'closed'; conn?: Connection };

/** A token change while the line is open: a second stream with the new token, which takes over at its hello. */
type Switch =
  | { kind: 'none' }
  /** Reading the new token; `moved` when it changed again meanwhile (read again). */
  | { kind: 'reading'; moved: boolean }
  | { kind: 'dialing'; conn: Connection }
  /** The new token was refused or unreadable: tried again when the timer fires. */
  | { kind: 'waiting'; timer: NodeJS.Timeout };

const NO_SWITCH: Switch = { kind: 'none' };

export class StreamClient {
  readonly #o: StreamClientOptions;
  readonly #backoff: Backoff;
  /** Retries of a new token while the old stream keeps working. */
  readonly #switchBackoff: Backoff;
  #line: Line = { kind: 'idle' };
  #switch: Switch = NO_SWITCH;
  /** Streams taken over by a newer one, settling what they hold. */
  readonly #retiring = new Set<Connection>();
  /** The token the line last read; a change to the same value is no change. */
  #token = '';
  /**
   * Skip the backoff at the next end of the line: the token changed, or a new token waits to be tried.
   * Kept until a line end consumes it, so a dial already under way when it is set still counts as "now".
   */
  #reconnectNow = false;
  #dials = 0;
  #unwatch: (() => void) | undefined;

  constructor(o: StreamClientOptions) {
    this.#o = o;
    this.#backoff = new Backoff(o.backoff, o.random);
    this.#switchBackoff = new Backoff(o.backoff, o.random);
  }

  get connected(): boolean { return this.#primary()?.live ?? false; }

  start(): void {
    if (this.#line.kind !== 'idle' && this.#line.kind !== 'closed') return;
    this.#unwatch = this.#o.token.onChange((v) => this.#tokenChanged(v));
    this.#dial();
  }

  /** Close every connection (unsettled messages go back to the queue) and stop reconnecting. */
  async stop(): Promise<void> {
    const line = this.#line;
    if (line.kind === 'idle' || line.kind === 'closed') return;
    this.#unwatch?.();
    const primary = this.#primary();
    const candidate = this.#switch.kind === 'dialing' ? this.#switch.conn : undefined;
    this.#setSwitch(NO_SWITCH);
    if (line.kind === 'backingOff') clearTimeout(line.timer);
    this.#line = { kind: 'closed', conn: primary };
    const all = [primary, candidate, ...this.#retiring].filter((c): c is Connection => c !== undefined);
    for (const c of all) c.close(1000, 'connector shutting down');
    if (line.kind === 'reading') await line.read;
    await Promise.all(all.map((c) => c.ended));
  }

  /** The line's stream, whatever it is doing. */
  #primary(): Connection | undefined {
    const l = this.#line;
    return l.kind === 'connecting' || l.kind === 'open' || l.kind === 'handingOver' || l.kind === 'closed' ? l.conn : undefined;
  }

  /** The line's stream when it works and is not handing over. */
  #live(): Connection | undefined {
    return this.#line.kind === 'open' && this.#line.conn.live ? this.#line.conn : undefined;
  }

  /** Leaves the current switch state, releasing its timer (a dialing stream is the caller's to close). */
  #setSwitch(next: Switch): void {
    if (this.#switch.kind === 'waiting') clearTimeout(this.#switch.timer);
    this.#switch = next;
  }

  // ---- the line -------------------------------------------------------------------------------------

  #dial(): void {
    if (this.#dials++ > 0) this.#o.onReconnectAttempt?.();
    const line: Line = { kind: 'reading', read: Promise.resolve() };
    this.#line = line;
    line.read = this.#readAndConnect(line);
  }

  async #readAndConnect(reading: Line): Promise<void> {
    let token: string;
    try {
      token = await this.#o.token.read();
    } catch (err) {
      if (this.#line === reading) this.#lineEnded(CloseCode.InvalidToken, `cannot read token: ${(err as Error).message}`, 0);
      return;
    }
    if (this.#line !== reading) return; // stopped meanwhile
    this.#token = token;
    if (!token) { this.#lineEnded(CloseCode.InvalidToken, 'token file is empty', 0); return; }
    this.#line = { kind: 'connecting', conn: this.#connect(token) };
  }

  /** The line is down: wait (or not) and dial again. */
  #lineEnded(code: number, reason: string, lastedMs: number): void {
    if (lastedMs >= (this.#o.stableMs ?? 10_000)) this.#backoff.reset();
    const delay = this.#reconnectNow ? 0 : reconnectDelay(this.#backoff, this.#o.backoff ?? {}, { slow: isSlow(code), soon: isSoon(code) });
    this.#reconnectNow = false;
    this.#o.logger[isLoud(code) ? 'error' : 'warn']({ closeCode: code, reason, retryInMs: delay }, `stream closed: ${meaningOf(code)}${reason ? ` — ${reason}` : ''}; reconnecting in ${delay}ms`);
    this.#line = { kind: 'backingOff', timer: setTimeout(() => this.#dial(), delay) };
  }

  #tokenChanged(value: string): void {
    const line = this.#line;
    if (line.kind === 'idle' || line.kind === 'closed') return;
    const live = this.#live();
    if (live) { this.#switchTo(value, live); return; }
    // No working stream to keep: reconnect now (mid-read, the fresh value is being read right now anyway;
    // a stream handing over reconnects with the fresh value once it closed).
    if (value === this.#token || line.kind === 'reading' || line.kind === 'handingOver') return;
    this.#o.logger.info('token file changed: reconnecting with the new token');
    this.#backoff.reset();
    this.#reconnectNow = true;
    if (line.kind === 'backingOff') { clearTimeout(line.timer); this.#dial(); }
    else line.conn.close(1000, 'token rotated');
  }

  // ---- the switch to a new token ----------------------------------------------------------------------

  #switchTo(value: string, live: Connection): void {
    const sw = this.#switch;
    if (sw.kind === 'reading') { sw.moved = true; return; }
    if (sw.kind === 'dialing' && sw.conn.token === value) return;
    this.#setSwitch(NO_SWITCH);
    if (sw.kind === 'dialing') sw.conn.close(1000, 'token changed again');
    if (value === live.token) return;
    this.#switchBackoff.reset();
    this.#o.logger.info('token file changed: reconnecting with the new token (make-before-break: the old stream works until the new one is up)');
    void this.#openCandidate();
  }

  async #openCandidate(): Promise<void> {
    if (this.#dials++ > 0) this.#o.onReconnectAttempt?.();
    const reading: Switch = { kind: 'reading', moved: false };
    this.#setSwitch(reading);
    let token: string;
    try {
      do { reading.moved = false; token = await this.#o.token.read(); } while (reading.moved);
    } catch (err) {
      if (this.#switch !== reading) return;
      this.#setSwitch(NO_SWITCH);
      this.#retrySwitch(CloseCode.InvalidToken, `cannot read token: ${(err as Error).message}`);
      return;
    }
    if (this.#switch !== reading) return; // stopped, or the line went down and dials the fresh token itself
    this.#setSwitch(NO_SWITCH);
    const live = this.#live();
    if (!live || !token || token === live.token) return;
    this.#setSwitch({ kind: 'dialing', conn: this.#connect(token) });
  }

  #retrySwitch(code: number, reason: string): void {
    if (!this.#live()) return;
    // The old stream still delivers, so a refused new token is retried at the ordinary pace.
    const delay = reconnectDelay(this.#switchBackoff, this.#o.backoff ?? {}, { slow: code !== CloseCode.InvalidToken && isSlow(code), soon: false });
    this.#o.logger[isLoud(code) ? 'error' : 'warn']({ closeCode: code, reason, retryInMs: delay },
      `new token's stream closed: ${meaningOf(code)}${reason ? ` — ${reason}` : ''}; the current stream keeps working; retrying in ${delay}ms`);
    this.#setSwitch({ kind: 'waiting', timer: setTimeout(() => { void this.#openCandidate(); }, delay) });
  }

  // ---- connection events ------------------------------------------------------------------------------

  #connect(token: string): Connection {
    return new Connection({
      url: this.#o.url, ackUrl: this.#o.ackUrl, dial: this.#o.dial, token, logger: this.#o.logger,
      connectTimeoutMs: this.#o.connectTimeoutMs ?? 10_000,
      onHello: (c) => this.#hello(c),
      onMessage: (f, s) => this.#o.events.onMessage(f, s),
      onClose: (c, code, reason) => this.#closed(c, code, reason),
    });
  }

  #hello(conn: Connection): void {
    const session = conn.current;
    if (!session) return;
    const sw = this.#switch;
    if (sw.kind === 'dialing' && sw.conn === conn) {
      // The new token's stream is up: it becomes the line, the old one settles what it holds and closes.
      const old = this.#primary();
      this.#setSwitch(NO_SWITCH);
      this.#line = { kind: 'open', conn };
      this.#token = conn.token;
      if (old) {
        this.#retiring.add(old);
        old.retire(this.#drainMs(old), 'token rotated');
      }
    } else if (conn === this.#primary()) {
      if (this.#line.kind === 'connecting') this.#line = { kind: 'open', conn };
    } else {
      return;
    }
    this.#switchBackoff.reset();
    const h = session.hello;
    this.#o.logger.info({ session: h.session, window: h.window, heartbeatMs: h.heartbeatMs, ackTimeoutMs: h.ackTimeoutMs }, 'connected');
    this.#o.events.onConnected?.(session);
  }

  #drainMs(c: Connection): number {
    return this.#o.drainTimeoutMs ?? (c.current?.hello.ackTimeoutMs || 30_000);
  }

  #closed(conn: Connection, code: number, reason: string): void {
    if (this.#retiring.delete(conn)) {
      this.#o.logger.info({ closeCode: code, unsettled: conn.unsettled }, 'old stream closed');
      return;
    }
    const sw = this.#switch;
    if (sw.kind === 'dialing' && sw.conn === conn) { this.#candidateClosed(code, reason); return; }
    const line = this.#line;
    if (conn !== this.#primary()) return; // a superseded candidate
    if (line.kind === 'closed') {
      this.#line = { kind: 'closed' };
      if (conn.current) this.#o.events.onDisconnected?.(code, reason);
      return;
    }
    if (conn.current) this.#o.events.onDisconnected?.(code, reason);
    if (sw.kind === 'dialing') {
      // The stream with the new token is on its way: it carries on (its hello makes it open).
      this.#setSwitch(NO_SWITCH);
      this.#line = { kind: 'connecting', conn: sw.conn };
      this.#token = sw.conn.token;
      this.#o.logger.warn({ closeCode: code, reason }, `stream closed: ${meaningOf(code)}; carrying on with the new token's stream`);
      return;
    }
    if (sw.kind === 'waiting' || sw.kind === 'reading') {
      // A new token is waiting to be tried: try it now rather than after the old token's backoff.
      this.#setSwitch(NO_SWITCH);
      this.#reconnectNow = true;
    }
    this.#lineEnded(code, reason, conn.current ? Date.now() - conn.startedAt : 0);
  }

  #candidateClosed(code: number, reason: string): void {
    this.#setSwitch(NO_SWITCH);
    const live = this.#live();
    if (code === CloseCode.MaxConnections && live) {
      // No room for a second stream: break before make after all, but let the old one settle first.
      this.#o.logger.warn({ closeCode: code, reason }, 'the receiver allows no second stream for this subscription: the old stream settles what it holds and closes, then the new token connects');
      this.#reconnectNow = true;
      this.#line = { kind: 'handingOver', conn: live };
      live.retire(this.#drainMs(live), 'token rotated');
      return;
    }
    this.#retrySwitch(code, reason);
  }
}
