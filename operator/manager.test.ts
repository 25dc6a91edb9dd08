// startOperator's wiring against a stand-in apiserver (the operator's behaviour is tested against a real
// one under test/integration): it syncs its caches, leads without election, serves /readyz, and stops.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../shared/logger.ts';
import { FakeApiserver } from '../test/harness/fake-apiserver.ts';
import { startOperator } from './manager.ts';

test('starts in order, leads without election, reports ready, and stops', async () => {
  const api = await FakeApiserver.start();
  try {
    const op = await startOperator({
      kubeconfig: api.kubeconfigFile(), receiverNamespace: 'hookbridge-system', publicUrl: 'https://hooks.example.test',
      connectorReceiverUrl: 'http://receiver:8080', connectorImage: 'hookbridge:test', metricsPort: 0, metricsHost: '127.0.0.1',
      logger: createLogger({ name: 'operator', level: 'warn', destination: new Writable({ write(_c, _e, cb) { cb(); } }) }),
    });
    try {
      assert.equal(op.isLeader(), true);
      assert.equal(op.ready(), true);
      assert.deepEqual(op.controllers.map((c) => c.name), ['webhookchannel', 'subscription', 'connector']);
      const port = (op.server.address() as AddressInfo).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
      assert.ok((op.requests.get('LIST') ?? 0) >= 7, 'one list per cache');
    } finally {
      await op.stop();
    }
  } finally {
    await api.close();
  }
});
