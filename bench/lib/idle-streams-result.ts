// What the idle-streams measurement (bench/idle-streams.ts) hands the report: many connector streams held
// open on one receiver with nothing to deliver, and what they cost in resident memory.
export interface IdleStreamsResult {
  /** Streams asked for. */
  streams: number;
  /** Streams that got their hello frame and stayed open until the measurement. */
  open: number;
  /** Receiver RSS before any stream was opened (MiB). */
  receiverRssBeforeMiB: number;
  /** Receiver RSS with every stream open and idle (MiB). */
  receiverRssMiB: number;
  /** RabbitMQ's RSS with every stream open (MiB), when known. */
  brokerRssMiB?: number;
  /** Why fewer streams than asked for opened, when they did not. */
  error?: string;
}
