import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RETRY_TIER_MS, pickTier, retryTiers } from './filter.ts';

test('retry tiers: distinct and ascending; a delay takes the smallest tier >= it, else the largest', () => {
  const tiers = retryTiers([625_000, 5_000, 25_000, 125_000, 25_000]);
  assert.deepEqual(tiers, [5_000, 25_000, 125_000, 625_000]);
  assert.equal(pickTier(tiers, 0), 5_000);
  assert.equal(pickTier(tiers, 5_000), 5_000);
  assert.equal(pickTier(tiers, 5_001), 25_000);
  assert.equal(pickTier(tiers, 3_600_000), 625_000);
  assert.deepEqual(retryTiers([]), [DEFAULT_RETRY_TIER_MS]);
});
