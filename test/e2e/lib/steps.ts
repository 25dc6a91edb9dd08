// A flow of steps where each runs on the world the previous ones built: after a failure the later steps
// fail at once, naming the step that broke, and the failure prints whatever explains it (process logs).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

export class Steps {
  /** The name of the step that failed, if one did. */
  broken: string | undefined;

  readonly #explain: () => string;

  constructor(explain: () => string) { this.#explain = explain; }

  /** A step: skipped (failed at once) after an earlier failure; on its own failure prints `explain()`. */
  step(name: string, fn: (t: TestContext) => Promise<void>): void {
    test(name, async (t) => {
      assert.equal(this.broken, undefined, `an earlier step failed (${this.broken})`);
      try {
        await fn(t);
      } catch (err) {
        this.broken = name;
        process.stderr.write(`\n=== step failed: ${name}\n${this.#explain()}\n`);
        throw err;
      }
    });
  }
}
