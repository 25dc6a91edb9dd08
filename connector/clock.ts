// The connector's notion of time, injectable so circuit, rate and dedupe are tested with a fake clock
// (test/harness/fake-timers.ts).
export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() };

