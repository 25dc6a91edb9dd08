// The connector's notion of time, injectable so circuit, rate and dedupe are tested with a fake clock.
export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  t: number;
  constructor(t = 1_700_000_000_000) { this.t = t; }
  now(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}
