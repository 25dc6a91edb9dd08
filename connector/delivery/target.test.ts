import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetOf } from './target.ts';

test('targetOf: origin for the pool and guard, path with the query for the request; undefined for a non-URL', () => {
  assert.deepEqual(targetOf('https://hooks.example.com:8443/in/orders?x=1#frag'), { origin: 'https://hooks.example.com:8443', path: '/in/orders?x=1' });
  assert.deepEqual(targetOf('http://svc.team-a.svc'), { origin: 'http://svc.team-a.svc', path: '/' });
  assert.equal(targetOf('not a url'), undefined);
  assert.equal(targetOf('not a url'), undefined, 'a memoised miss stays a miss');
  assert.equal(targetOf('https://a.example/x'), targetOf('https://a.example/x'), 'parsed once');
});
