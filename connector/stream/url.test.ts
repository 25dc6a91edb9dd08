import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ackUrl, sseUrl, websocketUrl } from './url.ts';

const ch = { namespace: 'demo', name: 'github' };

test('stream URLs from the receiver base URL', () => {
  assert.equal(websocketUrl('http://localhost:8080', ch, 10), 'ws://localhost:8080/connect/stream/demo/github?window=10');
  assert.equal(websocketUrl('https://hooks.example.com/', ch, 3), 'wss://hooks.example.com/connect/stream/demo/github?window=3');
  assert.equal(websocketUrl('https://example.com/relay/', ch, 1), 'wss://example.com/relay/connect/stream/demo/github?window=1');
  assert.equal(websocketUrl('wss://example.com', ch, 1), 'wss://example.com/connect/stream/demo/github?window=1');
  assert.equal(sseUrl('http://localhost:8080', ch, 10), 'http://localhost:8080/connect/stream/demo/github/sse?window=10');
  assert.equal(sseUrl('ws://localhost:8080/x', ch, 2), 'http://localhost:8080/x/connect/stream/demo/github/sse?window=2');
  assert.equal(ackUrl('https://example.com', ch), 'https://example.com/connect/ack/demo/github');
});
