import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { coalesceWrites } from './coalesce-writes.ts';

/** A sink that records each batch it is handed (one _writev call = one syscall on a socket). */
function sink(): { stream: Writable; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) { batches.push([chunk.toString()]); cb(); },
    writev(chunks, cb) { batches.push(chunks.map((c) => String(c.chunk))); cb(); },
  });
  return { stream, batches };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('the writes of one turn leave as one batch, in order, by the end of the turn', async () => {
  const { stream, batches } = sink();
  const hold = coalesceWrites(stream);
  for (const s of ['a', 'b', 'c']) { hold(); stream.write(s); }
  assert.deepEqual(batches, [], 'held until the turn ends');
  await turn();
  assert.deepEqual(batches, [['a', 'b', 'c']]);
  hold(); stream.write('d');
  await turn();
  assert.deepEqual(batches, [['a', 'b', 'c'], ['d']], 'the next turn is its own batch');
});

test('without hold() every write is its own batch (what the helper saves)', async () => {
  const { stream, batches } = sink();
  for (const s of ['a', 'b']) stream.write(s);
  await turn();
  assert.equal(batches.length, 2);
});

test('a stream destroyed while held neither throws nor writes', async () => {
  const { stream, batches } = sink();
  stream.on('error', () => {});
  const hold = coalesceWrites(stream);
  hold(); stream.write('a');
  stream.destroy();
  await turn();
  assert.deepEqual(batches, []);
  const corked = stream.writableCorked;
  hold(); // no further cork on a destroyed stream
  assert.equal(stream.writableCorked, corked);
});
