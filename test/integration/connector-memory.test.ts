// The connector against the real receiver on the embedded MemoryBuffer (the scenarios also run on RabbitMQ).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBuffer } from '../../receiver/buffer/memory/index.ts';
import { mintToken } from '../../shared/tokens.ts';
import { connectorScenarios } from '../../connector/testing/scenarios.ts';
import { scriptedDestination, startRig } from '../../connector/testing/relay.ts';
import { eventually } from '../harness/eventually.ts';

connectorScenarios('memory', async () => new MemoryBuffer({ sweepIntervalMs: 10 }));

test('memory: token rotation — the connector picks up the new token file and survives the old one being revoked', async () => {
  const dest = await scriptedDestination(() => ({ status: 200 }));
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const r = await startRig({ buffer, destinationUrl: dest.url });
  try {
    await r.connector();
    await r.post('before');
    await dest.count(1);
    const next = mintToken();
    await r.setTokens([r.token, next]); // grace period: both accepted
    r.writeToken(next);
    await eventually(() => /token file changed: reconnecting/.test(r.logs()), { message: 'reconnect on token change', timeoutMs: 20_000, intervalMs: 50 });
    await eventually(() => (r.logs().match(/"msg":"connected"/g) ?? []).length >= 2, { message: 'connected again', timeoutMs: 20_000, intervalMs: 50 });
    await r.setTokens([next]); // old one revoked
    await r.post('after');
    await dest.count(2);
    assert.doesNotMatch(r.logs(), /invalid or revoked token \(4001\)/);
    assert.ok(!r.logs().includes(r.token) && !r.logs().includes(next), 'tokens never logged');
  } finally {
    await r.close();
    await buffer.close();
    await dest.close();
  }
});
