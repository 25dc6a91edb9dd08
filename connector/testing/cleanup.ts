// Test cleanup that also runs when an assertion fails, so a failing test never leaves servers or streams
// open (which would keep the test process alive until the runner's timeout).
import { afterEach } from 'node:test';

const pending: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of pending.splice(0).reverse()) {
    try { await fn(); } catch { /* already closed */ }
  }
});

/** Close `x` after the current test, whatever its outcome (closing twice must be harmless). */
export function track<T extends { close(): unknown }>(x: T): T {
  pending.push(() => x.close());
  return x;
}
