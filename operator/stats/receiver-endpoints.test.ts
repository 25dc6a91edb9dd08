import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readyEndpointUrls } from './receiver-endpoints.ts';

test('ready endpoints of the receiver Service, on its http port', () => {
  const slices = [
    { addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }], endpoints: [
      { addresses: ['10.244.0.7'], conditions: { ready: true } },
      { addresses: ['10.244.0.8'], conditions: { ready: false, terminating: true } },
      { addresses: ['10.244.0.9'] }, // ready unset: ready, per the API
    ] },
    { addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['10.244.0.7'], conditions: { ready: true } }] },
    { addressType: 'IPv6', ports: [{ name: '', port: 8080 }], endpoints: [{ addresses: ['fd00::7'], conditions: { ready: true } }] },
    { addressType: 'FQDN', ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['rx.example.com'] }] },
    { addressType: 'IPv4', ports: [{ name: 'grpc', port: 1 }, { name: 'other', port: 2 }], endpoints: [{ addresses: ['10.244.0.99'] }] },
    { addressType: 'IPv4', endpoints: null, ports: null },
  ];
  assert.deepEqual(readyEndpointUrls(slices, { scheme: 'http', portName: 'http' }),
    ['http://10.244.0.7:8080', 'http://10.244.0.9:8080', 'http://[fd00::7]:8080']);
  assert.deepEqual(readyEndpointUrls([], { scheme: 'https', portName: 'http' }), []);
});
