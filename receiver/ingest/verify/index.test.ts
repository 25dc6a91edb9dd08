// Table tests with vectors computed outside this code: GitHub's and Standard Webhooks' published examples,
// and `openssl dgst -sha256 -hmac` for Stripe, Slack and the generic scheme.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { createVerifier, type VerifySpec } from './index.ts';

const GH_BODY = Buffer.from('Hello, World!');
const GH_SIG = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SW_BODY = Buffer.from('{"test": 2432232314}');
const SW_SIG = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const SW_TS = 1614265330;
const STRIPE_BODY = Buffer.from('{"id":"evt_1","type":"invoice.paid"}');
const STRIPE_SIG = '46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf11539d166595';
const SLACK_BODY = Buffer.from('token=abc&team_id=T1&text=hello');
const SLACK_SIG = 'v0=d61e82886c4eb69286e9cc48178b44767eb961d26bbea53cb3ed928c8990c7e2';
const BIN_BODY = Buffer.from([0xff, 0x00, 0xfe, ...Buffer.from(' binary')]);
const HMAC_SIG_1 = 'sha256=7b981612e7c01863462c402544c6ff949bbe0c82b907e163fbd76b179779e79e';
const HMAC_SIG_2 = 'sha256=bf3f3ceb27b83a0c6718019bad226d374577cedfb3afb9e45561dd06c2e19bc7';

interface Case { name: string; spec: VerifySpec; headers: IncomingHttpHeaders; body: Buffer; now: number; ok: boolean }
const spec = (provider: VerifySpec['provider'], secrets: string[], toleranceSeconds = 300): VerifySpec => ({ provider, secrets, toleranceSeconds });

const cases: Case[] = [
  { name: 'github valid', spec: spec('github', ["It's a Secret to Everybody"]), headers: { 'x-hub-signature-256': GH_SIG }, body: GH_BODY, now: 0, ok: true },
  { name: 'github second secret (rotation)', spec: spec('github', ['old', "It's a Secret to Everybody"]), headers: { 'x-hub-signature-256': GH_SIG }, body: GH_BODY, now: 0, ok: true },
  { name: 'github wrong secret', spec: spec('github', ['nope']), headers: { 'x-hub-signature-256': GH_SIG }, body: GH_BODY, now: 0, ok: false },
  { name: 'github tampered body', spec: spec('github', ["It's a Secret to Everybody"]), headers: { 'x-hub-signature-256': GH_SIG }, body: Buffer.from('Hello, World?'), now: 0, ok: false },
  { name: 'github missing header', spec: spec('github', ["It's a Secret to Everybody"]), headers: {}, body: GH_BODY, now: 0, ok: false },
  { name: 'github garbage header', spec: spec('github', ["It's a Secret to Everybody"]), headers: { 'x-hub-signature-256': 'sha256=zz' }, body: GH_BODY, now: 0, ok: false },
  { name: 'standard-webhooks valid', spec: spec('standard-webhooks', [SW_SECRET]), headers: { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': String(SW_TS), 'webhook-signature': SW_SIG }, body: SW_BODY, now: SW_TS * 1000 + 10_000, ok: true },
  { name: 'standard-webhooks several signatures', spec: spec('standard-webhooks', [SW_SECRET]), headers: { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': String(SW_TS), 'webhook-signature': `v1,Zm9vYmFy ${SW_SIG}` }, body: SW_BODY, now: SW_TS * 1000, ok: true },
  { name: 'standard-webhooks too old', spec: spec('standard-webhooks', [SW_SECRET]), headers: { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': String(SW_TS), 'webhook-signature': SW_SIG }, body: SW_BODY, now: (SW_TS + 301) * 1000, ok: false },
  { name: 'standard-webhooks other id', spec: spec('standard-webhooks', [SW_SECRET]), headers: { 'webhook-id': 'msg_other', 'webhook-timestamp': String(SW_TS), 'webhook-signature': SW_SIG }, body: SW_BODY, now: SW_TS * 1000, ok: false },
  { name: 'stripe valid', spec: spec('stripe', ['whsec_test_secret']), headers: { 'stripe-signature': `t=1700000000,v1=${'0'.repeat(64)},v1=${STRIPE_SIG},v0=abc` }, body: STRIPE_BODY, now: 1_700_000_100_000, ok: true },
  { name: 'stripe outside tolerance', spec: spec('stripe', ['whsec_test_secret']), headers: { 'stripe-signature': `t=1700000000,v1=${STRIPE_SIG}` }, body: STRIPE_BODY, now: 1_700_000_400_000, ok: false },
  { name: 'stripe tolerance 0 disables age check', spec: spec('stripe', ['whsec_test_secret'], 0), headers: { 'stripe-signature': `t=1700000000,v1=${STRIPE_SIG}` }, body: STRIPE_BODY, now: 1_800_000_000_000, ok: true },
  { name: 'stripe no t', spec: spec('stripe', ['whsec_test_secret']), headers: { 'stripe-signature': `v1=${STRIPE_SIG}` }, body: STRIPE_BODY, now: 1_700_000_000_000, ok: false },
  { name: 'slack valid', spec: spec('slack', ['8f742231b10e8888abcd99yyyzzz85a5']), headers: { 'x-slack-signature': SLACK_SIG, 'x-slack-request-timestamp': '1531420618' }, body: SLACK_BODY, now: 1_531_420_618_000, ok: true },
  { name: 'slack replayed', spec: spec('slack', ['8f742231b10e8888abcd99yyyzzz85a5']), headers: { 'x-slack-signature': SLACK_SIG, 'x-slack-request-timestamp': '1531420618' }, body: SLACK_BODY, now: 1_531_430_000_000, ok: false },
  { name: 'slack timestamp swapped', spec: spec('slack', ['8f742231b10e8888abcd99yyyzzz85a5']), headers: { 'x-slack-signature': SLACK_SIG, 'x-slack-request-timestamp': '1531420619' }, body: SLACK_BODY, now: 1_531_420_618_000, ok: false },
  { name: 'hmac binary body', spec: spec('hmac', ['super-secret-1']), headers: { 'x-signature': HMAC_SIG_1 }, body: BIN_BODY, now: 0, ok: true },
  { name: 'hmac rotated secret', spec: spec('hmac', ['super-secret-1', 'super-secret-2']), headers: { 'x-signature': HMAC_SIG_2 }, body: BIN_BODY, now: 0, ok: true },
  { name: 'hmac upper-case hex', spec: spec('hmac', ['super-secret-1']), headers: { 'x-signature': HMAC_SIG_1.toUpperCase().replace('SHA256=', 'sha256=') }, body: BIN_BODY, now: 0, ok: true },
  { name: 'hmac without prefix', spec: spec('hmac', ['super-secret-1']), headers: { 'x-signature': HMAC_SIG_1.slice(7) }, body: BIN_BODY, now: 0, ok: false },
  { name: 'no secrets configured fails closed', spec: spec('hmac', []), headers: { 'x-signature': HMAC_SIG_1 }, body: BIN_BODY, now: 0, ok: false },
];

for (const c of cases) {
  test(`verify: ${c.name}`, () => {
    assert.equal(createVerifier(c.spec)(c.headers, c.body, c.now), c.ok);
  });
}
