// The receiver's configuration store: applies a ReceiverConfig by declaring buffer topology for new or
// changed channels first, then swapping the compiled snapshot in one assignment, then telling listeners
// (open streams re-check their binding and token), then removing deleted channels per deletionPolicy.
// Applies are serialised; a declaration the buffer refused is retried with backoff and keeps /readyz false.
import type { ReceiverConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { Backoff } from '../../shared/process/backoff.ts';
import type { MessageBuffer } from '../buffer/types.ts';
import { ChannelSnapshot, type RuntimeChannel } from '../channels.ts';

export interface ConfigStoreOptions { buffer: MessageBuffer; logger: Logger; retryMinMs?: number; retryMaxMs?: number }

export class ConfigStore {
  #snapshot = new ChannelSnapshot([]);
  #loaded = false;
  #chain: Promise<void> = Promise.resolve();
  readonly #pending = new Set<string>(); // channel keys whose declaration failed
  readonly #listeners: ((s: ChannelSnapshot) => void)[] = [];
  readonly #buffer: MessageBuffer;
  readonly #logger: Logger;
  /** Deterministic: one store per process, nothing to spread out. */
  readonly #retry: Backoff;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: ConfigStoreOptions) {
    this.#buffer = opts.buffer;
    this.#logger = opts.logger;
    this.#retry = new Backoff({ baseMs: opts.retryMinMs ?? 1000, capMs: opts.retryMaxMs ?? 30_000, jitter: 'none' });
  }

  /** The current compiled configuration; read it per request, never keep it. */
  get snapshot(): ChannelSnapshot { return this.#snapshot; }
  /** A configuration was applied at least once. */
  get loaded(): boolean { return this.#loaded; }
  /** Channels whose buffer topology is not declared yet. */
  get pendingDeclarations(): string[] { return [...this.#pending]; }

  onChange(listener: (s: ChannelSnapshot) => void): void { this.#listeners.push(listener); }

  apply(cfg: ReceiverConfig): Promise<void> {
    const run = this.#chain.then(() => this.#apply(cfg));
    this.#chain = run.catch(() => {});
    return run;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
  }

  async #apply(cfg: ReceiverConfig): Promise<void> {
    const prev = this.#snapshot;
    const next = ChannelSnapshot.from(cfg, prev);
    const toDeclare = [...next.channels.values()].filter((c) => prev.channels.get(c.key)?.topology !== c.topology || this.#pending.has(c.key));
    for (const key of [...this.#pending]) if (!next.channels.has(key)) this.#pending.delete(key);
    await Promise.all(toDeclare.map((c) => this.#declare(c)));
    this.#snapshot = next;
    this.#loaded = true;
    for (const l of this.#listeners) l(next);
    for (const old of prev.channels.values()) {
      if (next.channels.has(old.key)) continue;
      const deleteQueues = old.config.deletionPolicy === 'Delete';
      try {
        await this.#buffer.removeChannel(old.ref, { deleteQueues });
        this.#logger.info({ channel: old.key, deleteQueues }, 'channel removed');
      } catch (err) {
        this.#logger.warn({ channel: old.key, err: (err as Error).message }, 'removing channel from the buffer failed');
      }
    }
    this.#logger.info({ channels: next.channels.size, declared: toDeclare.map((c) => c.key) }, 'receiver configuration applied');
    if (this.#pending.size > 0) this.#scheduleRetry();
  }

  async #declare(c: RuntimeChannel): Promise<boolean> {
    try {
      await this.#buffer.declareChannel(c.config);
      this.#pending.delete(c.key);
      return true;
    } catch (err) {
      this.#pending.add(c.key);
      this.#logger.warn({ channel: c.key, err: (err as Error).message }, 'declaring channel topology failed; will retry');
      return false;
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#chain = this.#chain.then(async () => {
        const channels = [...this.#pending].map((k) => this.#snapshot.channels.get(k)).filter((c) => c !== undefined);
        const ok = await Promise.all(channels.map((c) => this.#declare(c)));
        if (ok.every(Boolean)) { this.#retry.reset(); return; }
        this.#scheduleRetry();
      });
    }, this.#retry.next());
    this.#retryTimer.unref();
  }
}
