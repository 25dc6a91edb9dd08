// The client address behind trusted proxies: CIDRs in both families, the rightmost untrusted hop, and a
// header that is ignored unless the peer is trusted (so a client cannot choose its own address).
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { clientAddress, parseTrustedProxies, TrustedProxies } from './client-address.ts';

const req = (peer: string, xff?: string | string[]): IncomingMessage =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

const trusted = parseTrustedProxies(['10.0.0.0/8,fd00::/8', '192.0.2.10']);

test('CIDRs: IPv4, IPv6, bare addresses, IPv4-mapped peers; anything else is refused', () => {
  assert.ok(trusted.has('10.1.2.3'));
  assert.ok(trusted.has('::ffff:10.1.2.3'));
  assert.ok(trusted.has('fd12:3456::1'));
  assert.ok(trusted.has('192.0.2.10'));
  assert.ok(!trusted.has('192.0.2.11'));
  assert.ok(!trusted.has('fe80::1'));
  assert.ok(!trusted.has('not-an-ip'));
  for (const bad of ['10.0.0.0/33', '::/129', 'example.com', '10.0.0.0/8/1', '10.0.0.0/', '10.0.0.0/x', '']) {
    assert.throws(() => new TrustedProxies([bad]), /not an IPv4 or IPv6 CIDR/, bad);
  }
});

test('without trusted proxies the header is ignored: the socket peer is the client', () => {
  assert.equal(clientAddress(req('203.0.113.9', '1.2.3.4'), new TrustedProxies()), '203.0.113.9');
  assert.equal(clientAddress(req('::ffff:203.0.113.9', '1.2.3.4'), new TrustedProxies()), '203.0.113.9');
});

test('from an untrusted peer the header is ignored, whatever it says', () => {
  assert.equal(clientAddress(req('203.0.113.9', '10.0.0.1'), trusted), '203.0.113.9');
});

test('from a trusted peer: the rightmost hop that is not a trusted proxy, so a forged left part changes nothing', () => {
  assert.equal(clientAddress(req('10.0.0.5', '198.51.100.7'), trusted), '198.51.100.7');
  assert.equal(clientAddress(req('10.0.0.5', '6.6.6.6, 198.51.100.7'), trusted), '198.51.100.7');
  assert.equal(clientAddress(req('10.0.0.5', '6.6.6.6, 198.51.100.7, 10.9.9.9'), trusted), '198.51.100.7', 'a second trusted proxy is skipped');
  assert.equal(clientAddress(req('10.0.0.5', ['garbage, 198.51.100.7', '10.9.9.9']), trusted), '198.51.100.7', 'several header lines are one list');
  assert.equal(clientAddress(req('10.0.0.5', '[2001:db8::1]:4711'), trusted), '2001:db8::1');
  assert.equal(clientAddress(req('10.0.0.5', '198.51.100.7:4711'), trusted), '198.51.100.7');
  assert.equal(clientAddress(req('fd00::5', '2001:db8::2'), trusted), '2001:db8::2');
});

test('from a trusted peer with no usable hop: the last trusted address seen', () => {
  assert.equal(clientAddress(req('10.0.0.5'), trusted), '10.0.0.5');
  assert.equal(clientAddress(req('10.0.0.5', ''), trusted), '10.0.0.5');
  assert.equal(clientAddress(req('10.0.0.5', 'garbage'), trusted), '10.0.0.5');
  assert.equal(clientAddress(req('10.0.0.5', 'garbage, 10.7.7.7'), trusted), '10.7.7.7');
});
