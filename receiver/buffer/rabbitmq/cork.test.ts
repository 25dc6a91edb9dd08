// corkMuxWrites: the frames one muxer flush writes reach the socket as one batch; an amqplib whose
// internals look different is left alone.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { ChannelModel } from 'amqplib';
import { corkMuxWrites } from './cork.ts';

function fakeModel(): { model: ChannelModel; writes: Buffer[][]; flush(): void } {
  const writes: Buffer[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) { writes.push([chunk]); cb(); },
    writev(chunks, cb) { writes.push(chunks.map((c) => c.chunk as Buffer)); cb(); },
  });
  const muxer = { _readIncoming() { for (const f of ['a', 'b', 'c']) stream.write(Buffer.from(f)); } };
  return { model: { connection: { muxer, stream } } as unknown as ChannelModel, writes, flush: () => muxer._readIncoming() };
}

test('one muxer flush becomes one write of every frame, in order', () => {
  const plain = fakeModel();
  plain.flush();
  assert.equal(plain.writes.length > 1, true, 'without the patch the fake writes frame by frame');

  const corked = fakeModel();
  assert.equal(corkMuxWrites(corked.model), true);
  corked.flush();
  assert.deepEqual(corked.writes.map((w) => Buffer.concat(w).toString()), ['abc']);
});

test('unexpected internals: not patched', () => {
  assert.equal(corkMuxWrites({} as ChannelModel), false);
  assert.equal(corkMuxWrites({ connection: { muxer: {}, stream: {} } } as unknown as ChannelModel), false);
});

test('the installed amqplib has the internals the patch needs', async () => {
  // A real amqplib Connection over an in-memory stream (no broker): if an upgrade moves the muxer, this fails.
  const lib = path.join(path.dirname(fileURLToPath(import.meta.resolve('amqplib'))), 'lib');
  const require = createRequire(import.meta.url);
  const { Connection } = require(path.join(lib, 'connection.js')) as { Connection: new (s: PassThrough) => unknown };
  const { ChannelModel } = require(path.join(lib, 'channel_model.js')) as { ChannelModel: new (c: unknown) => ChannelModel };
  assert.equal(corkMuxWrites(new ChannelModel(new Connection(new PassThrough()))), true);
});
