// `hookbridge listen --subscription NS/NAME` against a real kube-apiserver: with only a kubeconfig and a
// local URL, it finds the receiver (the channel's status.url), the stream token and signing secret (the
// Secrets the operator writes), and the Subscription's retry policy and transform.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { must, REPO, startTestKube, waitFor } from '../harness/operator-env.ts';
import { channel, post, route, startTest, type TestReceiver } from '../../receiver/test-support.ts';
import type { Kube } from '../harness/kube.ts';
import { subscriptionManifests } from './lib/subscription-manifests.ts';

const TOKEN = 'hbt_listen-subscription-test-token-jjjjjjjjjjjjjjjjjjj';
const SECRET = 'whsec_bGlzdGVuLXN1YnNjcmlwdGlvbi10ZXN0';
let kube: Kube;
let rx: TestReceiver;

before(async () => {
  kube = await startTestKube();
  rx = await startTest({ channels: [channel('orders', [route('laptop', { tokens: [TOKEN] })])] });
});
after(async () => {
  await rx?.close();
  await kube?.stop();
});

test('listen --subscription: receiver, token, signing secret, retry policy and transform come from the cluster', async () => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const dest = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { received.push({ headers: req.headers, body }); res.writeHead(JSON.parse(body).fail ? 500 : 200).end(); });
  });
  await new Promise<void>((r) => dest.listen(0, '127.0.0.1', r));
  const forwardTo = `http://127.0.0.1:${(dest.address() as AddressInfo).port}/hooks`;

  await must(kube, ['create', 'namespace', 'shop']);
  await must(kube, ['apply', '-f', '-'], subscriptionManifests({
    namespace: 'shop', channel: 'orders', subscription: 'laptop', token: TOKEN, signingSecret: SECRET,
    subscriptionSpec: ['destination: {service: {name: app, port: 8080}}', 'delivery: {retry: {maxAttempts: 1}}', 'transform: {includeMessageId: true}'],
  }));
  // what the operator writes into the channel's status
  await must(kube, ['-n', 'shop', 'patch', 'webhookchannel', 'orders', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { url: `${rx.base}/webhook/shop/orders` } })]);

  const child = spawn(process.execPath, ['cli/main.ts', 'listen', '--subscription', 'shop/laptop', '--kubeconfig', kube.kubeconfigPath, '--forward-to', forwardTo], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    await waitFor(`listen ready\n${err}`, async () => err.includes('Ready.'));
    assert.match(err, new RegExp(`Forwarding shop/orders from ${rx.base} to ${forwardTo} as Subscription shop/laptop`));
    assert.match(err, /Signing with Subscription shop\/laptop's secret \(standard-webhooks\)/);
    assert.ok(!err.includes(SECRET) && !err.includes(TOKEN) && !out.includes(TOKEN), 'neither secret is printed');

    const good = String((await post(rx.base, '/webhook/shop/orders', '{"n":1}', { 'content-type': 'application/json' })).json.id);
    const got = await waitFor(`the delivery\n${err}`, async () => received.find((r) => r.headers['webhook-id'] === good));
    assert.deepEqual(JSON.parse(got.body), { n: 1, message_id: good }, 'transform.includeMessageId');
    const ts = String(got.headers['webhook-timestamp']);
    const expected = createHmac('sha256', Buffer.from(SECRET.slice('whsec_'.length), 'base64')).update(`${good}.${ts}.${got.body}`).digest('base64');
    assert.equal(got.headers['webhook-signature'], `v1,${expected}`, 'signed with the Subscription\'s secret');

    // maxAttempts: 1 — a 500 is dead at once instead of retried on the default schedule
    const bad = String((await post(rx.base, '/webhook/shop/orders', '{"fail":true}', { 'content-type': 'application/json' })).json.id);
    const line = await waitFor('the dead line', async () => out.split('\n').find((l) => l.includes(`"id":"${bad}"`)));
    const report = JSON.parse(line) as Record<string, unknown>;
    assert.match(String(report.reason), /max attempts reached \(1\/1\)/);
    assert.deepEqual(report, { ...report, outcome: 'dead', status: 500, subscription: 'shop/laptop' });

    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    dest.closeAllConnections();
    await new Promise((r) => dest.close(r));
  }
});
