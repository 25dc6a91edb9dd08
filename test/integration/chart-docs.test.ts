// The docs that ship with the chart stay true: docs/reference.md is exactly what docs/gen-reference.ts
// renders from the CRDs and values.schema.json, the troubleshooting guide explains every error code in
// the receiver's catalogue and every stream close code, and the install guide covers the life cycle.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { render } from '../../docs/gen-reference.ts';
import { ERRORS } from '../../receiver/errors.ts';
import { CloseCode } from '../../shared/protocol.ts';

const DOCS = path.resolve(import.meta.dirname, '../../docs');
const read = (name: string): string => fs.readFileSync(path.join(DOCS, name), 'utf8');

test('docs/reference.md is up to date (node docs/gen-reference.ts)', () => {
  assert.equal(read('reference.md'), render());
});

test('the reference covers every CRD field and chart value', () => {
  const ref = read('reference.md');
  for (const field of ['spec.maxQueueSize', 'spec.tokenRotation.gracePeriod', 'spec.delivery.retry.schedule', 'spec.signing.secretRef.name',
    'status.nextTokenRotationAt', 'rabbitmq.existingSecret', 'prometheusRule.runbookBaseUrl', 'receiver.autoscaling.enabled']) {
    assert.ok(ref.includes(`| \`${field}\``), `reference lacks ${field}`);
  }
});

test('troubleshooting explains every receiver error code', () => {
  const doc = read('troubleshooting.md');
  for (const code of Object.keys(ERRORS)) assert.ok(doc.includes(`\`${code}\``), `troubleshooting.md does not mention \`${code}\``);
});

test('troubleshooting explains every stream close code', () => {
  const headings = read('troubleshooting.md').split('\n').filter((l) => l.startsWith('### '));
  for (const [name, code] of Object.entries(CloseCode)) {
    assert.ok(headings.some((h) => h.startsWith(`### ${code} `)), `no "### ${code} ..." section for ${name}`);
  }
});

test('the install guide covers install, upgrade with CRDs, uninstall and helm test', () => {
  const doc = read('install.md');
  for (const s of ['helm install hookbridge', 'helm upgrade hookbridge', 'kubectl apply --server-side --force-conflicts -f charts/hookbridge/crds/',
    'helm uninstall hookbridge', 'helm test hookbridge', 'create secret generic hookbridge-rabbitmq']) {
    assert.ok(doc.includes(s), `install.md lacks ${s}`);
  }
});
