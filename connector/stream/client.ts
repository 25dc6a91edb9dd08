// One subscription's stream to the receiver, kept up forever: re-read the token before every connect,
// reconnect with exponential backoff + full jitter, reconnect at once when the token file changes,
// answer and send heartbeats, and drop a server that stays silent for MISSED_HEARTBEATS intervals.
import type { Logger } from '../../shared/logger.ts';
import { CloseCode, DEFAULT_HEARTBEAT_MS, MISSED_HEARTBEATS, type ClientFrame, type HelloFrame, type MessageFrame, type ServerFrame } from '../../shared/protocol.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { TRY_AGAIN_LATER, type Dial, type Transport } from './transport.ts';

export interface TokenSource {
  read(): Promise<string>;
  onChange(listener: (value: string) => void): () => void;
}

/** One accepted connection. Settlements for its messages go back on it, or nowhere once it is closed. */
export interface Session {
  readonly hello: HelloFrame;
  readonly open: boolean;
  send(frame: ClientFrame): boolean;
}

export interface StreamEvents {
  onMessage(frame: MessageFrame, session: Session): void;
  onConnected?(session: Session): void;
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
  random?: () => number;
  /** Counts reconnect attempts (the first dial is not one). */
  onReconnectAttempt?(): void;
}

export const CLOSE_MEANING: Record<number, string> = {
  [CloseCode.InvalidToken]: 'invalid or revoked token (4001): waiting for a rotated token',
  [CloseCode.ChannelNotFound]: 'channel not found (4002)',
  [CloseCode.MaxConnections]: 'too many connections for this subscription (4003)',
  [CloseCode.NotBound]: 'subscription not bound to the channel (4004)',
  [CloseCode.HeartbeatTimeout]: 'heartbeat timeout (4008)',
  [TRY_AGAIN_LATER]: 'receiver asks to try again later (rate limited after failed attempts)',
};
const SLOW = new Set<number>([CloseCode.InvalidToken, CloseCode.NotBound, TRY_AGAIN_LATER]);

export class StreamClient {
  private readonly o: StreamClientOptions;
  private readonly backoff: Backoff;
  private transport: Transport | undefined;
  private session: (Session & { open: boolean }) | undefined;
  private dials = 0;
  private stopped = true;
  private waitTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastSeen = 0;
  private token = '';
  private unwatch: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private skipWait = false;

  constructor(o: StreamClientOptions) {
    this.o = o;
    this.backoff = new Backoff(o.backoff, o.random);
  }

  get connected(): boolean { return this.session?.open ?? false; }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unwatch = this.o.token.onChange((v) => this.tokenChanged(v));
    this.loop = this.run();
  }

  /** Close the connection (unsettled messages go back to the queue) and stop reconnecting. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unwatch?.();
    this.wake?.();
    this.transport?.close(1000, 'connector shutting down');
    await this.loop;
  }

  private tokenChanged(value: string): void {
    // Mid-connect (neither connected nor waiting) the fresh value is being read right now anyway.
    if (this.stopped || value === this.token || (!this.transport && !this.wake)) return;
    this.o.logger.info('token file changed: reconnecting with the new token');
    this.backoff.reset();
    this.skipWait = true;
    if (this.transport) this.transport.close(1000, 'token rotated');
    else this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const { code, reason, lastedMs } = await this.connectOnce();
      if (this.stopped) break;
      if (lastedMs >= (this.o.stableMs ?? 10_000)) this.backoff.reset();
      const delay = this.skipWait ? 0 : this.backoff.next(SLOW.has(code));
      this.skipWait = false;
      const meaning = CLOSE_MEANING[code] ?? `code ${code}`;
      const log = code === CloseCode.InvalidToken || code === CloseCode.NotBound || code === CloseCode.ChannelNotFound ? 'error' : 'warn';
      this.o.logger[log]({ closeCode: code, reason, retryInMs: delay }, `stream closed: ${meaning}${reason ? ` — ${reason}` : ''}; reconnecting in ${delay}ms`);
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

  private async connectOnce(): Promise<{ code: number; reason: string; lastedMs: number }> {
    if (this.dials++ > 0) this.o.onReconnectAttempt?.();
    try {
      this.token = await this.o.token.read();
    } catch (err) {
      return { code: CloseCode.InvalidToken, reason: `cannot read token: ${(err as Error).message}`, lastedMs: 0 };
    }
    if (!this.token) return { code: CloseCode.InvalidToken, reason: 'token file is empty', lastedMs: 0 };
    const started = Date.now();
    return new Promise((resolve) => {
      let helloTimer: NodeJS.Timeout | undefined = setTimeout(() => {
        this.o.logger.warn('no hello from the receiver in time; dropping the connection');
        this.transport?.close(CloseCode.HeartbeatTimeout, 'no hello');
      }, this.o.connectTimeoutMs ?? 10_000);
      const transport = this.o.dial({
        url: this.o.url, ackUrl: this.o.ackUrl, token: this.token, logger: this.o.logger,
        connectTimeoutMs: this.o.connectTimeoutMs ?? 10_000,
        handlers: {
          onFrame: (f) => {
            if (f.type === 'hello' && helloTimer) { clearTimeout(helloTimer); helloTimer = undefined; }
            this.onFrame(transport, f);
          },
          onClose: (code, reason) => {
            if (helloTimer) clearTimeout(helloTimer);
            this.stopHeartbeat();
            this.transport = undefined;
            const had = this.session;
            if (had) { had.open = false; this.session = undefined; this.o.events.onDisconnected?.(code, reason); }
            resolve({ code, reason, lastedMs: had ? Date.now() - started : 0 });
          },
        },
      });
      this.transport = transport;
      if (this.stopped) transport.close(1000, 'connector shutting down');
    });
  }

  private onFrame(transport: Transport, f: ServerFrame): void {
    this.lastSeen = Date.now();
    switch (f.type) {
      case 'hello': {
        const session = { hello: f, open: true, send: (frame: ClientFrame) => { if (!session.open) return false; transport.send(frame); return true; } };
        this.session = session;
        this.startHeartbeat(transport, f.heartbeatMs > 0 ? f.heartbeatMs : DEFAULT_HEARTBEAT_MS);
        this.o.logger.info({ session: f.session, window: f.window, heartbeatMs: f.heartbeatMs, ackTimeoutMs: f.ackTimeoutMs }, 'connected');
        this.o.events.onConnected?.(session);
        return;
      }
      case 'ping': transport.send({ type: 'pong', t: f.t }); return;
      case 'pong': return;
      case 'message':
        if (this.session) this.o.events.onMessage(f, this.session);
        else this.o.logger.warn({ messageId: f.id }, 'message before hello: ignored (it will be redelivered)');
        return;
    }
  }

  private startHeartbeat(transport: Transport, everyMs: number): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastSeen > MISSED_HEARTBEATS * everyMs) {
        this.o.logger.warn({ silentMs: Date.now() - this.lastSeen }, 'receiver silent for 3 heartbeat intervals: dropping the connection');
        this.stopHeartbeat();
        transport.close(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
        return;
      }
      transport.send({ type: 'ping', t: Date.now() });
    }, everyMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
