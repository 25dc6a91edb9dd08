import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sub } from '../../testing/fixtures.ts';
import { buildSigningSecret } from './signing-secret.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const a = sub({ name: 'alpha', namespace: 'team-a', spec: { destination: { service: { name: 'sink', port: 8080, path: '/hooks' } } } });

test('generated signing secret is a whsec_ Standard Webhooks secret owned by the subscription', () => {
  const s = buildSigningSecret(a, 'whsec_abc') as Any;
  assert.equal(s.metadata.name, 'alpha-hookbridge-signing');
  assert.equal(Buffer.from(s.data.secret, 'base64').toString(), 'whsec_abc');
  assert.equal(s.metadata.ownerReferences[0].uid, a.metadata.uid);
});
