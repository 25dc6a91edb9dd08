// The buffer: where a message lives between ingest and the connector's ack. Two backends implement
// this interface — rabbitmq/ (production) and memory/ (dev, tests, demos) — and one conformance suite
// (conformance.ts) runs against both.
import type { ChannelConfig, ObjectKey } from '../../shared/config.ts';
import type { AttemptResult } from '../../shared/protocol.ts';
import type { MessagePage, MessageQuery } from './history-query.ts';

/** A message as accepted at ingest; the same bytes go to every routed subscription. */
export interface StoredMessage {
  id: string;
  channel: ObjectKey;
  receivedAt: number; // epoch ms
  eventType?: string;
  contentType?: string;
  headers: Record<string, string>; // provider headers, lower-case names, hop-by-hop/credentials removed
  traceparent?: string;
  body: Buffer;
}

/** Identifies one subscription queue on one channel. */
export interface QueueRef { channel: ObjectKey; subscription: ObjectKey }

/** How a retry came about (NackFrame.attempted / reason). */
export interface RetryOptions {
  /** false: the connector did not try it (circuit open, shutdown): it comes back with the SAME attempt and no attempt is recorded. */
  attempted?: boolean;
  /** Why, recorded in the history with a retry that was not attempted. */
  reason?: string;
}

/** The history reason of a retry that was not attempted. */
export const notAttemptedReason = (opts: RetryOptions | undefined): string =>
  opts?.reason ? `not attempted: ${opts.reason}` : 'not attempted';

/** A message handed to a consumer. Exactly one of ack/retry/dead/release settles it. */
export interface Delivery {
  readonly message: StoredMessage;
  readonly queue: QueueRef;
  /** 1 on the first attempt; +1 each time a retry came back from a delay queue (not for `attempted: false`). */
  readonly attempt: number;
  /** Times this copy was handed out before without being settled (lost acks); survives restarts. */
  readonly deliveryCount: number;
  /** Delivered: remove from the queue. */
  ack(result?: AttemptResult): Promise<void>;
  /**
   * Retryable failure: park in a durable delay queue for at least delayMs, then back with attempt+1 —
   * or with the same attempt when `opts.attempted` is false (then only a `retrying` state is recorded).
   */
  retry(delayMs: number, result?: AttemptResult, opts?: RetryOptions): Promise<void>;
  /** Permanent failure: move to the dead-letter queue with the reason. */
  dead(reason: string, result?: AttemptResult): Promise<void>;
  /** Not settled (ack timeout, disconnect): back to its queue, deliveryCount+1; past deliveryLimit → dead letter. */
  release(): Promise<void>;
}

export interface Consumer { cancel(): Promise<void> }

export interface ConsumeOptions {
  /**
   * Messages to take from the queue beyond `prefetch` and keep, not handed out, until a settlement frees a
   * slot: the next delivery then needs no broker round trip (on a quorum queue an ack is a Raft command).
   * They count as queued, not in flight; when the consumer ends they go back with the rest (RabbitMQ 3.x
   * counts that return in their delivery count). A backend without a broker round trip may ignore it.
   */
  readAhead?: number;
}

export interface QueueStats {
  messagesQueued: number; // ready + unacked in the main queue, plus messages waiting in delay queues
  messagesInFlight: number; // handed to a consumer, not settled
  /**
   * The part of messagesQueued only this process holds (in flight, read ahead, parked). The rest is the
   * broker's count, the same whichever receiver asks: several receivers' backlog is max(queued - held) + sum(held).
   */
  messagesHeld: number;
  deadLettered: number;
  oldestMessageAgeSeconds: number; // 0 when empty or unknown
}

export interface DeadLetter {
  id: string;
  queue: QueueRef;
  reason: string; // e.g. "delivery_limit", "max_attempts: 503 Service Unavailable", "expired"
  deadLetteredAt: number; // epoch ms
  attempts: number;
  lastResult?: AttemptResult;
  message: StoredMessage;
}

export interface DeadLetterFilter {
  ids?: string[];
  since?: number; // epoch ms, inclusive, on deadLetteredAt
  until?: number; // epoch ms, exclusive
  reason?: string; // substring match
  eventType?: string;
}

export type MessageState = 'pending' | 'in_flight' | 'retrying' | 'delivered' | 'dead_lettered' | 'expired';

/** One line of a message's life, appended durably (SPEC §4 /admin/webhook-connect/messages/{id}). */
export interface MessageEvent {
  id: string;
  at: number; // epoch ms
  /** `redrive`: moved back from the dead-letter queue; the attempts after it count from 1 again. */
  kind: 'received' | 'attempt' | 'state' | 'redrive';
  channel?: string; // ns/name, on received
  subscriptions?: string[]; // routed subscriptions, on received
  eventType?: string; // on received
  subscription?: string; // on attempt/state
  attempt?: number;
  result?: AttemptResult;
  state?: MessageState;
  reason?: string;
}

/** One delivery attempt; `redrive` is how many redrives came before it (absent for none). */
export interface HistoryAttempt { at: number; attempt: number; redrive?: number; result?: AttemptResult }

export interface MessageHistory {
  id: string;
  channel: string;
  receivedAt: number;
  eventType?: string;
  subscriptions: Record<string, { state: MessageState; attempts: HistoryAttempt[]; redrives: { at: number }[]; reason?: string }>;
}

export type BufferErrorCode = 'queue_full' | 'buffer_error';
export class BufferError extends Error {
  readonly code: BufferErrorCode;
  /** A message fit for the public answer (the error message itself may name internals). */
  readonly publicMessage: string | undefined;
  constructor(code: BufferErrorCode, message: string, publicMessage?: string) {
    super(message);
    this.code = code;
    this.publicMessage = publicMessage;
    this.name = 'BufferError';
  }
}

export interface MessageBuffer {
  readonly kind: 'memory' | 'rabbitmq';
  connect(): Promise<void>;
  close(): Promise<void>;
  isConnected(): boolean;
  /** While the broker refuses writes (RabbitMQ memory or disk alarm): its reason. publish() then fails at once. */
  blocked(): string | undefined;
  /** Declare (idempotently) the channel's exchange, per-subscription queues, delay and dead-letter queues. Re-declared on reconnect. */
  declareChannel(channel: ChannelConfig): Promise<void>;
  /** Forget a channel; with deleteQueues the broker queues go too (deletionPolicy Delete). */
  removeChannel(channel: ObjectKey, opts: { deleteQueues: boolean }): Promise<void>;
  /** Resolves only once the message is durably stored in every routed queue. Rejects with BufferError. */
  publish(message: StoredMessage, routes: ObjectKey[]): Promise<void>;
  /** Consume one subscription queue with at most `prefetch` unsettled deliveries. */
  consume(queue: QueueRef, prefetch: number, onDelivery: (d: Delivery) => void, opts?: ConsumeOptions): Promise<Consumer>;
  stats(queue: QueueRef): Promise<QueueStats>;
  listDeadLetters(queue: QueueRef, opts: { limit: number; filter?: DeadLetterFilter }): Promise<DeadLetter[]>;
  /** Move matching dead letters back to the subscription queue (attempt reset to 1). Returns how many. */
  redriveDeadLetters(queue: QueueRef, filter: DeadLetterFilter): Promise<number>;
  purgeDeadLetters(queue: QueueRef, filter: DeadLetterFilter): Promise<number>;
  /**
   * Durable message history, kept for the retention window. Callers record `received` and `in_flight`;
   * the buffer records each settled attempt with its state and result (ack/retry/dead), broker-side
   * outcomes (`expired`, `dead_lettered` by delivery_limit) and redrives (kind `redrive`, state `pending`).
   * An attempt number recorded twice between the same redrives shows once; attempts before a redrive stay.
   */
  recordEvent(event: MessageEvent): void;
  messageHistory(id: string): Promise<MessageHistory | undefined>;
  /** A channel's messages from the history, filtered, newest first, a page at a time (cursor from the last page's `next`). */
  listMessages(query: MessageQuery): Promise<MessagePage>;
}
