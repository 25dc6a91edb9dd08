import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CpuProfile, formatSummary, moduleOf, summarize } from './profile-summary.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

test('moduleOf buckets npm packages, scoped packages, node built-ins, project files and V8 pseudo-frames', () => {
  assert.equal(moduleOf(frame('encodeTable', 'file:///w/node_modules/amqplib/lib/codec.js')), 'amqplib');
  assert.equal(moduleOf(frame('x', 'file:///w/node_modules/@scope/pkg/index.js')), '@scope/pkg');
  assert.equal(moduleOf(frame('writev', 'node:internal/stream_base_commons')), 'node:stream_base_commons');
  assert.equal(moduleOf(frame('createHmac', 'node:crypto')), 'node:crypto');
  assert.equal(moduleOf(frame('push', 'file:///w/receiver/buffer/ring.ts'), '/w'), 'receiver/buffer/ring.ts');
  assert.equal(moduleOf(frame('(garbage collector)')), '(garbage collector)');
  assert.equal(moduleOf(frame('writeUtf8String')), '(native)');
});

test('summarize charges each sample the interval after it, across profiles, sorted by self time', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('hot', 'file:///w/a.ts', 9) },
      { id: 3, callFrame: frame('cold', 'file:///w/b.ts', 0) },
      { id: 4, callFrame: frame('(idle)') },
    ],
    startTime: 0,
    endTime: 100,
    samples: [2, 2, 3, 4, 2],
    // the first delta is the gap before the first sample and stands for nothing
    timeDeltas: [5, 10, 30, 20, 40],
  };
  const s = summarize([profile, profile], '/w');
  assert.equal(s.totalUs, 2 * (10 + 30 + 20 + 40));
  assert.deepEqual(
    s.frames.map((r) => [r.key, r.selfUs]),
    [
      ['(idle)', 80], // ties break by name
      ['hot a.ts:10', 80],
      ['cold b.ts:1', 40],
    ],
  );
  assert.equal(s.modules.find((r) => r.key === 'a.ts')!.share, 80 / 200);
  const text = formatSummary('receiver', s, 2);
  assert.match(text, /^receiver — 0\.00 s of samples/);
  assert.match(text, /40\.0%\s+0 ms {2}hot a\.ts:10/);
  assert.match(text, /40\.0%\s+0 ms {2}\(idle\)/);
  assert.doesNotMatch(text, /cold/); // cut at top 2
});
