// One subscription's stream to the receiver, kept up forever: re-read the token before every connect and
// reconnect with exponential backoff + full jitter. A token change is make-before-break: while a stream
// works, the new token gets a second stream; once its hello arrives the old one is retired (it settles
// what it holds, on itself, then closes with 1000). A refused new token leaves the old stream working and
// is retried with the ordinary backoff; only a stream whose token did not change waits the long auth
// backoff after a 4001. A receiver with no room for a second stream (4003) gets break-before-make, the old
// stream still settling first. Heartbeats and draining live in connection.ts.
import type { Logger } from '../../shared/logger.ts';
import { CloseCode, type MessageFrame } from '../../shared/protocol.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { Connection, type Session } from './connection.ts';
import { isLoud, isSlow, isSoon, meaningOf } from './close-codes.ts';
import type { Dial } from './transport.ts';

export type { Session } from './connection.ts';
export { CLOSE_MEANING } from './close-codes.ts';

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
  backoff?: BackoffOptions;
  /** A connection that lasted this long resets the backoff. */
  stableMs?: number;
  connectTimeoutMs?: number;
  /** How long a retired stream may take to settle what it holds (default: the channel's ack timeout). */
  drainTimeoutMs?: number;
  random?: () => number;
  /** Counts reconnect attempts (the first dial is not one). */
  onReconnectAttempt?(): void;
}

interface LineEnd { code: number; reason: string; lastedMs: number }

export class StreamClient {
  private readonly o: StreamClientOptions;
  private readonly backoff: Backoff;
  /** Retries of a new token while the old stream keeps working. */
  private readonly switchBackoff: Backoff;
  /** The stream: connecting, or live. */
  private primary: Connection | undefined;
  /** A stream with a new token, opened while the primary is live; it takes over at its hello. */
  private candidate: Connection | undefined;
  private readonly retiring = new Set<Connection>();
  private switchTimer: NodeJS.Timeout | undefined;
  private switching = false;
  private tokenMoved = false;
  private lineEnded: ((e: LineEnd) => void) | undefined;
  private dials = 0;
  private stopped = true;
  private waitTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private token = '';
  private reading = false;
  private unwatch: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private skipWait = false;

  constructor(o: StreamClientOptions) {
    this.o = o;
    this.backoff = new Backoff(o.backoff, o.random);
    this.switchBackoff = new Backoff(o.backoff, o.random);
  }

  get connected(): boolean { return this.primary?.live ?? false; }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unwatch = this.o.token.onChange((v) => this.tokenChanged(v));
    this.loop = this.run();
  }

  /** Close every connection (unsettled messages go back to the queue) and stop reconnecting. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unwatch?.();
    clearTimeout(this.switchTimer);
    this.wake?.();
    const all = [this.primary, this.candidate, ...this.retiring].filter((c): c is Connection => c !== undefined);
    for (const c of all) c.close(1000, 'connector shutting down');
    await this.loop;
    await Promise.all(all.map((c) => c.ended));
  }

  /** The primary when it works and is not being retired. */
  private live(): Connection | undefined {
    return this.primary?.live && !this.primary.isRetiring ? this.primary : undefined;
  }

  private tokenChanged(value: string): void {
    if (this.stopped) return;
    const live = this.live();
    if (live) { this.switchTo(value, live); return; }
    // No working stream to keep: reconnect now (mid-read, the fresh value is being read right now anyway;
    // a stream being retired reconnects with the fresh value once it closed).
    if (value === this.token || this.reading || this.primary?.isRetiring) return;
    this.o.logger.info('token file changed: reconnecting with the new token');
    this.backoff.reset();
    this.skipWait = true;
    if (this.primary) this.primary.close(1000, 'token rotated');
    else this.wake?.();
  }

  private switchTo(value: string, live: Connection): void {
    if (this.switching) { this.tokenMoved = true; return; }
    if (this.candidate?.token === value) return;
    clearTimeout(this.switchTimer);
    this.switchTimer = undefined;
    const superseded = this.candidate;
    this.candidate = undefined;
    superseded?.close(1000, 'token changed again');
    if (value === live.token) return;
    this.switchBackoff.reset();
    this.o.logger.info('token file changed: reconnecting with the new token (make-before-break: the old stream works until the new one is up)');
    void this.openCandidate();
  }

  private async openCandidate(): Promise<void> {
    this.switchTimer = undefined;
    if (this.dials++ > 0) this.o.onReconnectAttempt?.();
    let token: string;
    this.switching = true;
    try {
      do { this.tokenMoved = false; token = await this.o.token.read(); } while (this.tokenMoved);
    } catch (err) {
      this.retrySwitch(CloseCode.InvalidToken, `cannot read token: ${(err as Error).message}`);
      return;
    } finally {
      this.switching = false;
    }
    const live = this.live();
    if (this.stopped || !live || this.candidate || !token || token === live.token) return;
    this.candidate = this.connect(token);
  }

  private retrySwitch(code: number, reason: string): void {
    if (this.stopped || !this.live()) return;
    // The old stream still delivers, so a refused new token is retried at the ordinary pace.
    const delay = this.switchBackoff.next(code !== CloseCode.InvalidToken && isSlow(code));
    const meaning = meaningOf(code);
    this.o.logger[isLoud(code) ? 'error' : 'warn']({ closeCode: code, reason, retryInMs: delay },
      `new token's stream closed: ${meaning}${reason ? ` — ${reason}` : ''}; the current stream keeps working; retrying in ${delay}ms`);
    this.switchTimer = setTimeout(() => { void this.openCandidate(); }, delay);
  }

  private connect(token: string): Connection {
    return new Connection({
      url: this.o.url, ackUrl: this.o.ackUrl, dial: this.o.dial, token, logger: this.o.logger,
      connectTimeoutMs: this.o.connectTimeoutMs ?? 10_000,
      onHello: (c) => this.hello(c),
      onMessage: (f, s) => this.o.events.onMessage(f, s),
      onClose: (c, code, reason) => this.closed(c, code, reason),
    });
  }

  private hello(conn: Connection): void {
    const session = conn.current;
    if (!session) return;
    if (conn === this.candidate) {
      const old = this.primary;
      this.candidate = undefined;
      this.primary = conn;
      this.token = conn.token;
      if (old) {
        this.retiring.add(old);
        old.retire(this.drainMs(old), 'token rotated');
      }
    } else if (conn !== this.primary) {
      return;
    }
    this.switchBackoff.reset();
    const h = session.hello;
    this.o.logger.info({ session: h.session, window: h.window, heartbeatMs: h.heartbeatMs, ackTimeoutMs: h.ackTimeoutMs }, 'connected');
    this.o.events.onConnected?.(session);
  }

  private drainMs(c: Connection): number {
    return this.o.drainTimeoutMs ?? (c.current?.hello.ackTimeoutMs || 30_000);
  }

  private closed(conn: Connection, code: number, reason: string): void {
    if (this.retiring.delete(conn)) {
      this.o.logger.info({ closeCode: code, unsettled: conn.unsettled }, 'old stream closed');
      return;
    }
    if (conn === this.candidate) {
      this.candidate = undefined;
      const live = this.live();
      if (code === CloseCode.MaxConnections && live && !this.stopped) {
        // No room for a second stream: break before make after all, but let the old one settle first.
        this.o.logger.warn({ closeCode: code, reason }, 'the receiver allows no second stream for this subscription: the old stream settles what it holds and closes, then the new token connects');
        this.skipWait = true;
        live.retire(this.drainMs(live), 'token rotated');
        return;
      }
      this.retrySwitch(code, reason);
      return;
    }
    if (conn !== this.primary) return; // a superseded candidate
    this.primary = undefined;
    if (conn.current) this.o.events.onDisconnected?.(code, reason);
    if (this.candidate && !this.stopped) {
      // The stream with the new token is on its way: it carries on (its hello makes it live).
      this.primary = this.candidate;
      this.token = this.candidate.token;
      this.candidate = undefined;
      this.o.logger.warn({ closeCode: code, reason }, `stream closed: ${meaningOf(code)}; carrying on with the new token's stream`);
      return;
    }
    if (this.switchTimer || this.switching) {
      // A new token is waiting to be tried: try it now rather than after the old token's backoff.
      clearTimeout(this.switchTimer);
      this.switchTimer = undefined;
      this.skipWait = true;
    }
    this.lineEnded?.({ code, reason, lastedMs: conn.current ? Date.now() - conn.startedAt : 0 });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const { code, reason, lastedMs } = await this.openPrimary();
      if (this.stopped) break;
      if (lastedMs >= (this.o.stableMs ?? 10_000)) this.backoff.reset();
      const delay = this.skipWait ? 0 : this.backoff.next(isSlow(code), isSoon(code));
      this.skipWait = false;
      const meaning = meaningOf(code);
      this.o.logger[isLoud(code) ? 'error' : 'warn']({ closeCode: code, reason, retryInMs: delay }, `stream closed: ${meaning}${reason ? ` — ${reason}` : ''}; reconnecting in ${delay}ms`);
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(this.waitTimer); this.wake = undefined; resolve(); };
      this.wake = done;
      this.waitTimer = setTimeout(done, ms);
    });
  }

  private async openPrimary(): Promise<LineEnd> {
    if (this.dials++ > 0) this.o.onReconnectAttempt?.();
    this.reading = true;
    try {
      this.token = await this.o.token.read();
    } catch (err) {
      return { code: CloseCode.InvalidToken, reason: `cannot read token: ${(err as Error).message}`, lastedMs: 0 };
    } finally {
      this.reading = false;
    }
    if (!this.token) return { code: CloseCode.InvalidToken, reason: 'token file is empty', lastedMs: 0 };
    return new Promise((resolve) => {
      this.lineEnded = resolve;
      this.primary = this.connect(this.token);
      if (this.stopped) this.primary.close(1000, 'connector shutting down');
    });
  }
}
