// Pure pieces of ingest: event-type globs, JSON pointers (RFC 6901 escapes), header relaying and the route.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventTypeExtractor, parsePointer, resolvePointer } from './event-type.ts';
import { eventTypeMatcher } from './glob.ts';
import { webhookPath } from './handler.ts';
import { relayHeaders, traceparentOf } from './headers.ts';

test('globs: * spans any run of characters, the rest is literal, empty matches everything', () => {
  const cases: [string[], string | undefined, boolean][] = [
    [[], undefined, true], [[], 'x', true], [['*'], undefined, true],
    [['invoice.*'], 'invoice.paid', true], [['invoice.*'], 'invoice.', true], [['invoice.*'], 'invoices.paid', false],
    [['invoice.*'], undefined, false], [['*.created'], 'customer.created', true], [['a.b'], 'aXb', false],
    [['push', 'pull_request'], 'pull_request', true], [['re(gex)?'], 're(gex)?', true], [['a*b*c'], 'a--b--c', true],
  ];
  for (const [patterns, type, want] of cases) assert.equal(eventTypeMatcher(patterns)(type), want, `${JSON.stringify(patterns)} ~ ${type}`);
});

test('JSON pointers follow RFC 6901, including ~0 and ~1 and array indexes', () => {
  const doc = { 'a/b': { 'm~n': ['zero', { type: 'deep' }] }, type: 'top', n: 3 };
  assert.deepEqual(parsePointer('/a~1b/m~0n/1/type'), ['a/b', 'm~n', '1', 'type']);
  assert.equal(resolvePointer(doc, parsePointer('/a~1b/m~0n/1/type')), 'deep');
  assert.equal(resolvePointer(doc, parsePointer('/a~1b/m~0n/01')), undefined);
  assert.equal(resolvePointer(doc, parsePointer('/constructor')), undefined);
  const byPointer = eventTypeExtractor({ jsonPointer: '/n' });
  assert.equal(byPointer({}, Buffer.from(JSON.stringify(doc))), '3');
  assert.equal(byPointer({}, Buffer.from([0xff, 0xfe])), undefined);
  assert.equal(eventTypeExtractor({ header: 'X-GitHub-Event' })({ 'x-github-event': 'push' }, Buffer.alloc(0)), 'push');
});

test('relayed headers drop hop-by-hop, Connection-named and credential headers', () => {
  const out = relayHeaders({
    connection: 'keep-alive, X-Hop', 'x-hop': '1', 'x-keep': 'yes', 'proxy-authorization': 'x', 'x-api-key': 'k',
    'set-cookie': ['a=1', 'b=2'], te: 'trailers', upgrade: 'h2c', host: 'h', 'stripe-signature': 't=1,v1=ab',
  });
  assert.deepEqual(out, { 'x-keep': 'yes', 'set-cookie': 'a=1, b=2', 'stripe-signature': 't=1,v1=ab' });
  assert.equal(traceparentOf({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }).includes('0000000000000000000000000000000'), false);
});

test('webhookPath: the ingest route without express; anything unusual is left to express', () => {
  assert.deepEqual(webhookPath('/webhook/shop/orders'), { ns: 'shop', channel: 'orders' });
  assert.deepEqual(webhookPath('/webhook/shop/orders/?x=1'), { ns: 'shop', channel: 'orders' });
  assert.deepEqual(webhookPath('/webhook/sh%6Fp/orders'), { ns: 'shop', channel: 'orders' });
  for (const url of ['/webhook/shop', '/webhook/shop/orders/extra', '/webhook//orders', '/webhook/%E0%A4%A/orders', '/connect/stream/shop/orders', undefined]) {
    assert.equal(webhookPath(url), undefined, String(url));
  }
});
