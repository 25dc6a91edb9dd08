// `hookbridge messages` and `hookbridge dead-letters` against a real receiver (memory buffer) over HTTP:
// the table on a terminal, JSON with -o json or when not a terminal, and the admin API's errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { channel, eventually, post, route, startTest, StreamClient, type TestReceiver } from '../receiver/test-support.ts';
import { AdminError, type Io } from './admin-client.ts';
import { run as deadLetters } from './dead-letters.ts';
import { UsageError } from '../shared/process/flags.ts';
import { run as messages } from './messages.ts';

const ADMIN = 'admin-token-for-the-cli-tests';
const TOKEN = 'hbt_cli-test-stream-token-iiiiiiiiiiiiiiiiiiiiiiiiiiii';
let t: TestReceiver;
let ok = '';
let dead = '';
/** Newest first needs distinct receive times: wait for the clock to move on (not for I/O). */
const nextMs = async (): Promise<void> => { const t0 = Date.now(); while (Date.now() === t0) await new Promise((r) => setImmediate(r)); };

before(async () => {
  t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })], { eventType: { header: 'x-type' } })] }, { adminToken: ADMIN });
  ok = String((await post(t.base, '/webhook/shop/orders', '{"n":1}', { 'x-type': 'order.created' })).json.id);
  await nextMs();
  dead = String((await post(t.base, '/webhook/shop/orders', '{"n":2}', { 'x-type': 'order.paid', 'content-type': 'application/json' })).json.id);
  const c = new StreamClient(`${t.ws}/connect/stream/shop/orders?window=2`, TOKEN);
  await c.until((x) => x.messages().length === 2);
  c.send({ type: 'ack', id: ok, result: { statusCode: 200, latencyMs: 4 } });
  c.send({ type: 'nack', id: dead, action: 'dead', reason: 'max attempts reached (1/1): HTTP 503', result: { statusCode: 503, latencyMs: 9, error: 'HTTP 503' } });
  await eventually(async () => (await t.buffer.stats({ channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: 'sink' } })).deadLettered === 1);
  c.close();
  await c.closed;
});
after(() => t.close());

async function cli(cmd: typeof messages, args: string[], isTTY: boolean): Promise<string> {
  let out = '';
  const io: Io = { out: (s) => { out += s; }, isTTY };
  await cmd([...args, '--admin-url', t.base, '--admin-token', ADMIN], io);
  return out;
}
const lines = (s: string) => s.trimEnd().split('\n');

test('messages list: a table on a terminal — one row per message and subscription, newest first', async () => {
  const out = await cli(messages, ['list', '--channel', 'shop/orders'], true);
  const [head, first, second, ...rest] = lines(out);
  assert.match(head, /^RECEIVED\s+ID\s+EVENT TYPE\s+SUBSCRIPTION\s+STATE\s+ATTEMPTS\s+LAST STATUS\s+LAST ERROR$/);
  assert.deepEqual(rest, []);
  assert.match(first, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+${dead}\\s+order\\.paid\\s+shop/sink\\s+dead_lettered\\s+1\\s+503\\s+HTTP 503$`));
  assert.match(second, new RegExp(`${ok}\\s+order\\.created\\s+shop/sink\\s+delivered\\s+1\\s+200\\s+-$`));
  // the columns line up: every row starts its ID where the header's ID starts
  assert.equal(first.indexOf(dead), head.indexOf('ID'));
});

test('messages list: JSON with -o json and whenever stdout is not a terminal; --limit pages with a cursor', async () => {
  const json = JSON.parse(await cli(messages, ['list', '--channel', 'shop/orders', '--state', 'delivered', '-o', 'json'], true));
  assert.deepEqual(json.messages.map((m: { id: string }) => m.id), [ok]);
  assert.equal(json.messages[0].subscriptions['shop/sink'].attempts, 1);
  assert.equal(json.next, null);
  const piped = JSON.parse(await cli(messages, ['list', '--channel', 'shop/orders', '--limit', '1'], false));
  assert.deepEqual(piped.messages.map((m: { id: string }) => m.id), [dead]);
  const more = await cli(messages, ['list', '--channel', 'shop/orders', '--limit', '1'], true);
  const cursor = /More: add --cursor (\S+)/.exec(more)?.[1];
  assert.ok(cursor, more);
  const next = await cli(messages, ['list', '--channel', 'shop/orders', '--limit', '1', '--cursor', cursor], true);
  assert.match(lines(next)[1], new RegExp(ok));
  assert.doesNotMatch(next, /More:/);
});

test('messages show: the life of one message', async () => {
  const out = await cli(messages, ['show', dead], true);
  assert.match(out, new RegExp(`^Message:   ${dead}\nChannel:   shop/orders\nReceived:  \\S+ \\S+\nRouted to: shop/sink\n`));
  assert.match(out, /\nshop\/sink: dead_lettered \(max attempts reached \(1\/1\): HTTP 503\)\n {2}ATTEMPT\s+AT\s+STATUS\s+LATENCY\s+ERROR\n {2}1\s+\S+ \S+\s+503\s+9ms\s+HTTP 503\n/);
  const json = JSON.parse(await cli(messages, ['show', dead, '-o', 'json'], true));
  assert.deepEqual(json.subscriptions['shop/sink'].attempts.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode]), [[1, 503]]);
});

test('dead-letters: list, peek, redrive one, then nothing left to purge', async () => {
  const list = await cli(deadLetters, ['list', '--channel', 'shop/orders'], true);
  assert.match(lines(list)[0], /^DEAD-LETTERED\s+ID\s+SUBSCRIPTION\s+EVENT TYPE\s+ATTEMPTS\s+LAST STATUS\s+REASON$/);
  assert.match(lines(list)[1], new RegExp(`${dead}\\s+shop/sink\\s+order\\.paid\\s+1\\s+503\\s+max attempts reached \\(1/1\\): HTTP 503$`));
  const json = JSON.parse(await cli(deadLetters, ['list', '--channel', 'shop/orders', '--reason', 'HTTP 503'], false));
  assert.deepEqual(json.deadLetters.map((d: { id: string }) => d.id), [dead]);
  const peek = await cli(deadLetters, ['peek', dead, '--channel', 'shop/orders'], true);
  assert.match(peek, /Reason:\s+max attempts reached/);
  assert.match(peek, /Body \(7 bytes, application\/json\):\n\{"n":2\}\n$/);
  assert.deepEqual(JSON.parse(await cli(deadLetters, ['redrive', dead, '--channel', 'shop/orders', '-o', 'json'], true)), { redriven: 1 });
  assert.equal(await cli(deadLetters, ['list', '--channel', 'shop/orders'], true), 'No dead letters.\n');
  assert.equal(await cli(deadLetters, ['purge', '--all', '--channel', 'shop/orders'], true), 'Purged: 0\n');
});

test('errors a person can act on: missing flags, a wrong token, an unknown message', async () => {
  await assert.rejects(messages(['list', '--channel', 'shop/orders'], { out: () => {}, isTTY: true }), (e: unknown) => e instanceof UsageError && /--admin-url/.test(e.message));
  await assert.rejects(cli(messages, ['list'], true), (e: unknown) => e instanceof UsageError && /--channel/.test(e.message));
  await assert.rejects(cli(deadLetters, ['purge', '--channel', 'shop/orders'], true), (e: unknown) => e instanceof UsageError && /ID, --all, or a filter/.test(e.message));
  await assert.rejects(messages(['list', '--channel', 'shop/orders', '--admin-url', t.base, '--admin-token', 'wrong'], { out: () => {}, isTTY: true }),
    (e: unknown) => e instanceof AdminError && e.status === 401 && /unauthorized/.test(e.message));
  await assert.rejects(cli(messages, ['show', 'no-such-id'], true), (e: unknown) => e instanceof AdminError && e.status === 404 && /message_not_found/.test(e.message));
});
