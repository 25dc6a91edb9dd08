import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transform } from './transform.ts';

const input = (body: unknown) => ({
  id: 'msg_1', eventType: 'lead.created', receivedAt: '2025-01-01T00:00:00.000Z', contentType: 'application/json',
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const json = (r: ReturnType<typeof transform>) => (r.ok ? JSON.parse(r.body.toString()) : assert.fail(r.reason));

test('raw (and no transform) relays the exact bytes and content type', () => {
  const bin = { ...input(''), body: Buffer.from([0xff, 0x00, 0xfe]), contentType: 'application/octet-stream' };
  for (const spec of [undefined, { format: 'raw' as const }]) {
    const r = transform(spec, bin);
    assert.ok(r.ok);
    assert.deepEqual(r.ok && r.body, bin.body);
    assert.equal(r.ok && r.contentType, 'application/octet-stream');
  }
});

test('zapier flattens into one level of keys', () => {
  assert.deepEqual(json(transform({ format: 'zapier' }, input({ lead: { email: 'a@b.c', tags: ['x', 'y'] }, n: 1 }))), {
    id: 'msg_1', event_type: 'lead.created', received_at: '2025-01-01T00:00:00.000Z',
    lead__email: 'a@b.c', lead__tags__0: 'x', lead__tags__1: 'y', n: 1,
  });
});

test('make wraps the payload in an envelope', () => {
  assert.deepEqual(json(transform({ format: 'make' }, input({ a: 1 }))), {
    id: 'msg_1', event_type: 'lead.created', received_at: '2025-01-01T00:00:00.000Z', data: { a: 1 },
  });
});

test('convertkit maps a lead to a subscriber', () => {
  assert.deepEqual(json(transform({ format: 'convertkit' }, input({ email: 'a@b.c', name: 'Ada', company: 'X', tags: ['vip'], nested: {} }))), {
    email_address: 'a@b.c', first_name: 'Ada', fields: { company: 'X' }, tags: ['vip'],
  });
});

test('template fills whole-value and interpolated placeholders', () => {
  const template = JSON.stringify({ text: 'New {{ .eventType }} from {{ .data.user.name }}', user: '{{ .data.user }}', id: '{{.id}}', missing: '{{ .data.nope }}' });
  assert.deepEqual(json(transform({ format: 'template', template }, input({ user: { name: 'Ada', id: 7 } }))), {
    text: 'New lead.created from Ada', user: { name: 'Ada', id: 7 }, id: 'msg_1', missing: null,
  });
});

test('non-JSON bodies and bad templates fail with a reason', () => {
  const r = transform({ format: 'zapier' }, input('not json'));
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.reason : '', /not JSON/);
  assert.equal(transform({ format: 'template' }, input({})).ok, false);
  assert.equal(transform({ format: 'template', template: '{' }, input({})).ok, false);
});

test('includeMessageId puts the id into the delivered JSON object, with any format; other bodies pass unchanged', () => {
  assert.deepEqual(json(transform({ format: 'raw', includeMessageId: true }, input({ a: 1 }))), { a: 1, message_id: 'msg_1' });
  assert.deepEqual(json(transform({ format: 'make', includeMessageId: true }, input({ a: 1 }))), {
    id: 'msg_1', event_type: 'lead.created', received_at: '2025-01-01T00:00:00.000Z', data: { a: 1 }, message_id: 'msg_1',
  });
  const raw = transform({ format: 'raw', includeMessageId: true }, input({ a: 1 }));
  assert.equal(raw.ok && raw.contentType, 'application/json');
  for (const body of ['[1,2]', 'not json', '"text"']) {
    const r = transform({ format: 'raw', includeMessageId: true }, { ...input(body), contentType: 'text/plain' });
    assert.equal(r.ok && r.body.toString(), body, body);
    assert.equal(r.ok && r.contentType, 'text/plain');
  }
  assert.deepEqual(json(transform({ format: 'raw', includeMessageId: false }, input({ a: 1 }))), { a: 1 });
});
