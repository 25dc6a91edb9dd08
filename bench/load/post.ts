// One POST through an undici Pool with the low-level dispatch API: no response stream or body mixin
// per request, so the generator spends as little CPU as possible of the two cores it shares with the
// system under test. Resolves with the status code once the response has ended.
import type { Dispatcher, Pool } from 'undici';

export function post(pool: Pool, path: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() { /* nothing to attach */ },
      onResponseStart(_controller, statusCode) { status = statusCode; },
      onResponseData() { /* discarded */ },
      onResponseEnd() { resolve(status); },
      onResponseError(_controller, err) { reject(err); },
    };
    pool.dispatch({ method: 'POST', path, headers, body }, handler);
  });
}
