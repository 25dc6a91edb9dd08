import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeOf, parseBrokerUrls } from './urls.ts';

test('one URL stays one URL, exactly as given', () => {
  assert.deepEqual(parseBrokerUrls('amqp://u:p@rabbit:5672/vh'), ['amqp://u:p@rabbit:5672/vh']);
});

test('a cluster: comma-separated URLs, spaces and empty entries ignored', () => {
  assert.deepEqual(parseBrokerUrls(' amqp://a:1/x , amqps://b:2/x,,amqp://c:3/x '), ['amqp://a:1/x', 'amqps://b:2/x', 'amqp://c:3/x']);
});

test('anything else is refused, without echoing the credentials', () => {
  assert.throws(() => parseBrokerUrls(' , '), /no RabbitMQ URL/);
  assert.throws(() => parseBrokerUrls('amqp://a:1,http://u:secret@b:2'), (err: Error) => /amqp/.test(err.message) && !err.message.includes('secret'));
  assert.throws(() => parseBrokerUrls('amqp://a:1,rabbit-b'), /not a URL/);
});

test('a node is named by host:port, never by its credentials', () => {
  assert.equal(nodeOf('amqp://u:secret@rabbit-0.rabbit:5672/vh'), 'rabbit-0.rabbit:5672');
  assert.equal(nodeOf('amqps://u:secret@rabbit'), 'rabbit:5671');
});
