// Token switches against the real receiver (in-process, on the embedded MemoryBuffer) with the whole
// connector pipeline: where the receiver's own rules decide what happens (maxConnections, what a closed
// stream's unsettled messages become), the fake receiver would only be guessing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBuffer } from '../../receiver/buffer/memory/index.ts';
import { mintToken } from '../../shared/tokens.ts';
import { scriptedDestination, startRig } from '../testing/relay.ts';
import { eventually } from '../../test/harness/eventually.ts';
import { track } from '../testing/cleanup.ts';

async function rotateUnderLoad(channel: { maxConnections: number }) {
  const dest = await scriptedDestination(() => ({ status: 200, delayMs: 20 }));
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const r = await startRig({ buffer, destinationUrl: dest.url, channel });
  track({ async close() { await r.close(); await buffer.close(); await dest.close(); } });
  await r.connector();
  const ids: string[] = [];
  let posting = true;
  const poster = (async () => { while (posting) { ids.push(await r.post(`n${ids.length}`)); await new Promise((res) => setTimeout(res, 5)); } })();
  await dest.count(20);
  const next = mintToken();
  await r.setTokens([r.token, next]); // the receiver accepts the new token before the connector can read it
  r.writeToken(next);
  await eventually(() => { const l = r.logs(); return /old stream closed|stream closed: /.test(l) && (l.match(/"msg":"connected"/g) ?? []).length >= 2; }, { message: 'switched to the new token', timeoutMs: 20_000, intervalMs: 50 });
  await r.setTokens([next]); // the old one revoked: nothing may still be using it
  const more = ids.length + 20;
  await eventually(() => ids.length >= more, { message: 'webhooks keep coming', timeoutMs: 20_000, intervalMs: 50 });
  posting = false;
  await poster;
  await dest.count(ids.length);
  await eventually(async () => { const s = await r.stats(); return s.messagesQueued === 0 && s.messagesInFlight === 0; }, { message: 'queue drained', timeoutMs: 20_000, intervalMs: 50 });
  const got = dest.received.map((x) => String(x.headers['webhook-id']));
  assert.deepEqual([...new Set(got)].sort(), [...ids].sort(), 'every webhook delivered');
  assert.equal(got.length, ids.length, 'none twice');
  assert.deepEqual((await r.deadLetters()).length, 0);
  assert.doesNotMatch(r.logs(), /invalid or revoked token \(4001\)/);
  return r;
}

test('real receiver: a token switch under load delivers everything once; the old stream closes with 1000 after settling', async () => {
  const r = await rotateUnderLoad({ maxConnections: 5 });
  assert.match(r.logs(), /"closeCode":1000[^\n]*"msg":"old stream closed"/);
});

test('real receiver with maxConnections 1: no room for a second stream, so the old one settles and closes first', async () => {
  const r = await rotateUnderLoad({ maxConnections: 1 });
  assert.match(r.logs(), /"closeCode":4003[^\n]*"msg":"the receiver allows no second stream for this subscription/);
});
