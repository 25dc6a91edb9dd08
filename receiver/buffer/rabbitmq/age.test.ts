import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgeJournal } from './age.ts';

test('the oldest of N ready messages is the Nth-newest publish; beyond the ring, the oldest remembered', () => {
  const j = new AgeJournal(3);
  assert.equal(j.oldest('q', 1), undefined);
  for (const t of [10, 20, 30, 40]) j.add('q', t);
  assert.equal(j.oldest('q', 1), 40);
  assert.equal(j.oldest('q', 3), 20);
  assert.equal(j.oldest('q', 50), 20);
  assert.equal(j.oldest('q', 0), undefined);
  j.forget('q');
  assert.equal(j.oldest('q', 1), undefined);
});
