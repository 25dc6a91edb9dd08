// What the orchestrator needs from a system under test: an ingest URL per bench channel, a consumer
// that delivers the `e2e` channel to the destination, a way to empty a channel between phases, and
// the processes whose memory to report.
import type { Memory } from '../lib/proc.ts';

/** `ingest`: nobody consumes (ingest alone). `e2e`: delivered to the destination. */
export type BenchChannel = 'ingest' | 'e2e';

export interface System {
  readonly name: string;
  ingestUrl(channel: BenchChannel): string;
  /** Starts delivering the e2e channel to the destination (idempotent). */
  startDelivery(): Promise<void>;
  /** Removes every message still queued on a channel. */
  purge(channel: BenchChannel): Promise<void>;
  /** Resident memory of each server process of this system right now. */
  memory(): Record<string, Memory>;
  stop(): Promise<void>;
}
