import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken, mintToken, tokenAccepted } from './tokens.ts';

test('minted tokens carry the prefix and 256 random bits', () => {
  const a = mintToken();
  const b = mintToken();
  assert.match(a, /^hbt_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
});

test('tokenAccepted honours hashes and revocation time', () => {
  const t = mintToken();
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(tokenAccepted(t, [{ sha256: hashToken(t) }], now), true);
  assert.equal(tokenAccepted(t, [{ sha256: hashToken('other') }], now), false);
  assert.equal(tokenAccepted(t, [{ sha256: hashToken(t), notAfter: '2026-01-01T00:00:01Z' }], now), true);
  assert.equal(tokenAccepted(t, [{ sha256: hashToken(t), notAfter: '2025-12-31T23:59:59Z' }], now), false);
  assert.equal(tokenAccepted(t, [], now), false);
});
