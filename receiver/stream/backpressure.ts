// Backpressure on one stream (WebSocket or SSE): what the receiver queues for a peer stays bounded, and a
// peer that stops reading is found and dropped. Message frames are bounded by the window (the session
// pushes no more than `window` unacknowledged messages), so only frames the peer can trigger at will
// (pongs) or that accumulate over time (heartbeat pings) need a rule: they are skipped while more than
// CONTROL_BACKLOG_BYTES wait. A peer that drained nothing for `maxStalledBeats` heartbeats while frames
// waited is a slow reader and is dropped; so is one whose backlog passes the hard limit (never reached by
// an honest peer: window x the largest message frame, plus slack).

/** What a stream transport reports about its outgoing queue. */
export interface OutboundQueue {
  /** Bytes handed to the transport that the peer has not taken yet (queued in this process). */
  buffered(): number;
}

export const CONTROL_BACKLOG_BYTES = 64 * 1024;
const HARD_LIMIT_SLACK_BYTES = 1024 * 1024;

/** The most an honest peer can have queued: `window` message frames of the channel's largest payload (base64). */
export const hardLimitBytes = (window: number, maxPayloadBytes: number): number =>
  window * (Math.ceil(maxPayloadBytes / 3) * 4 + 64 * 1024) + HARD_LIMIT_SLACK_BYTES;

export class Backpressure {
  readonly #q: OutboundQueue;
  readonly #maxStalledBeats: number;
  #sent = 0; // bytes handed to the transport (string length; frames are ASCII JSON but for header values)
  #drainedAtBeat = 0;
  #stalledBeats = 0;
  /** Control frames skipped because the peer was not reading. */
  skipped = 0;

  constructor(q: OutboundQueue, maxStalledBeats: number) {
    this.#q = q;
    this.#maxStalledBeats = maxStalledBeats;
  }

  /** Counts a frame handed to the transport. */
  sent(bytes: number): void { this.#sent += bytes; }

  /** False when a control frame should be skipped: too much is already waiting for this peer. */
  controlAllowed(): boolean {
    if (this.#q.buffered() <= CONTROL_BACKLOG_BYTES) return true;
    this.skipped++;
    return false;
  }

  overHardLimit(limit: number): boolean { return this.#q.buffered() > limit; }

  /**
   * Called once per heartbeat; true when the peer is a slow reader: frames waited and it took none of
   * them for `maxStalledBeats` beats in a row.
   */
  beat(): boolean {
    const waiting = this.#q.buffered();
    const drained = this.#sent - waiting;
    if (waiting > 0 && drained <= this.#drainedAtBeat) this.#stalledBeats++;
    else this.#stalledBeats = 0;
    this.#drainedAtBeat = Math.max(this.#drainedAtBeat, drained);
    return this.#stalledBeats >= this.#maxStalledBeats;
  }
}
