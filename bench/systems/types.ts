// What the orchestrator needs from a system under test: an ingest URL per bench channel, a consumer
// that delivers the `e2e` channel to the destination, a way to empty a channel between phases, and
// the processes whose memory and CPU to report.
/** `ingest`: nobody consumes (ingest alone). `e2e`: delivered to the destination. */
export type BenchChannel = 'ingest' | 'e2e';

export interface System {
  readonly name: string;
  ingestUrl(channel: BenchChannel): string;
  /** Starts delivering the e2e channel to the destination (idempotent). */
  startDelivery(): Promise<void>;
  /** Stops delivering the e2e channel (idempotent); what is queued stays queued for the next startDelivery(). */
  stopDelivery(): Promise<void>;
  /** Removes every message still queued on a channel. */
  purge(channel: BenchChannel): Promise<void>;
  /** The root pid of each server process of this system (for memory and CPU accounting). */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

/** The pids() name of Hookbridge's receiver, whose memory the backlog phase reports. */
export const HOOKBRIDGE_RECEIVER = 'hookbridge receiver';
