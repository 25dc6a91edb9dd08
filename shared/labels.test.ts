import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Component, MANAGED_SELECTOR, managedLabels, RECEIVER_CONFIG_LABEL, RECEIVER_CONFIG_LABEL_VALUE, RECEIVER_CONFIG_SELECTOR } from './labels.ts';

/** Whether an equality selector (`k=v,k2=v2`) selects these labels. */
const selects = (selector: string, labels: Record<string, string>): boolean =>
  selector.split(',').every((term) => { const [k, v] = term.split('='); return labels[k] === v; });

test('everything the operator writes is selected by its own informers', () => {
  for (const c of Object.values(Component)) assert.ok(selects(MANAGED_SELECTOR, managedLabels(c)), c);
});

test('the receiver selects the receiver config Secrets by the label the operator sets', () => {
  assert.ok(selects(RECEIVER_CONFIG_SELECTOR, { ...managedLabels(Component.ReceiverConfig), [RECEIVER_CONFIG_LABEL]: RECEIVER_CONFIG_LABEL_VALUE }));
  assert.ok(!selects(RECEIVER_CONFIG_SELECTOR, managedLabels(Component.Token)), 'not the other Secrets the operator writes');
});
