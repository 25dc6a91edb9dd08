import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { at, structuralSchema, type JSONSchemaProps } from './crd-schema.ts';
import { subscriptionCrd, webhookChannelCrd, type PrinterColumn } from './crds.ts';
import { ROOT, renderAll } from './generate-crds.ts';

test('committed CRDs (crds/ and the chart copy) match the zod schemas — run `make manifests` if this fails', () => {
  for (const [rel, content] of renderAll()) {
    const file = path.join(ROOT, rel);
    assert.ok(fs.existsSync(file), `${rel} missing`);
    assert.equal(fs.readFileSync(file, 'utf8'), content, `${rel} drifted from the zod schemas`);
  }
});

type Version = { schema: { openAPIV3Schema: JSONSchemaProps }; additionalPrinterColumns: { name: string }[]; subresources: unknown };
const version = (crd: ReturnType<typeof webhookChannelCrd>): Version => (crd.spec.versions as Version[])[0];

/** Structural: every node has a type (or int-or-string / preserve-unknown), no anyOf/oneOf/additionalProperties:false. */
function assertStructural(node: JSONSchemaProps, where: string): void {
  assert.ok(node.type, `${where} has no type`);
  const raw = node as Record<string, unknown>;
  for (const banned of ['anyOf', 'oneOf', 'allOf', '$ref', 'propertyNames']) assert.equal(raw[banned], undefined, `${where} has ${banned}`);
  assert.ok(!(node.properties && node.additionalProperties), `${where} has properties and additionalProperties`);
  for (const [k, v] of Object.entries(node.properties ?? {})) assertStructural(v, `${where}.${k}`);
  if (node.items) assertStructural(node.items, `${where}[]`);
  if (node.additionalProperties) assertStructural(node.additionalProperties, `${where}{}`);
}

test('generated schemas are structural, keep descriptions, defaults and CEL rules', () => {
  for (const crd of [webhookChannelCrd(), subscriptionCrd()]) {
    const root = version(crd).schema.openAPIV3Schema;
    assertStructural(root, crd.metadata.name);
    assert.ok(at(root, 'spec').description, 'spec is described for kubectl explain');
    assert.deepEqual(at(root, 'status.conditions')['x-kubernetes-list-map-keys'], ['type']);
    assert.deepEqual(version(crd).subresources, { status: {} });
  }
  const ch = version(webhookChannelCrd()).schema.openAPIV3Schema;
  assert.equal(at(ch, 'spec.maxQueueSize').default, 10000);
  assert.deepEqual(at(ch, 'spec').default, {}, 'an empty WebhookChannel gets every default');
  assert.equal(at(ch, 'spec.eventType.header').type, 'string');
  assert.match(at(ch, 'spec.eventType')['x-kubernetes-validations']?.[0].rule ?? '', /has\(self.header\)/);
  const sub = version(subscriptionCrd()).schema.openAPIV3Schema;
  assert.deepEqual(sub.required, ['spec']);
  const rules = (p: string) => (at(sub, p)['x-kubernetes-validations'] ?? []).map((v) => v.message);
  assert.ok(rules('spec.destination').some((m) => m.includes('exactly one of url or service')));
  assert.ok((at(sub, 'spec.destination')['x-kubernetes-validations'] ?? []).some((v) => v.rule.includes('sidecar')),
    'the exactly-one rule counts destination.sidecar');
  assert.equal(at(sub, 'spec.destination.sidecar.port').type, 'integer');
  assert.deepEqual(at(sub, 'spec.destination.sidecar').required, ['port']);
  assert.ok(rules('spec.delivery').some((m) => m.includes('keyFrom')));
  assert.ok(rules('spec.destination.url').some((m) => m.includes('http')));
  for (const what of ['cloud metadata endpoint', 'API server', 'dotted quad', 'link-local (169.254.0.0/16', 'link-local (fe80::/10)']) {
    assert.ok(rules('spec.destination.url').some((m) => m.includes(what)), `destination.url has a rule about ${what}`);
  }
});

test('printer columns and names follow SPEC §2', () => {
  const cols = (crd: ReturnType<typeof webhookChannelCrd>) => version(crd).additionalPrinterColumns.map((c) => c.name.toUpperCase());
  assert.deepEqual(cols(webhookChannelCrd()), ['READY', 'URL', 'SUBSCRIPTIONS', 'CONNECTED', 'BACKLOG', 'DLQ', 'REASON', 'AGE']);
  assert.deepEqual(cols(subscriptionCrd()), ['READY', 'CHANNEL', 'DESTINATION', 'BACKLOG', 'DLQ', 'SIDECARS', 'REASON', 'AGE']);
  // SIDECARS is for `-o wide` only: the default columns stay those of SPEC §2.
  assert.equal((subscriptionCrd().spec.versions as { additionalPrinterColumns: PrinterColumn[] }[])[0].additionalPrinterColumns.find((c) => c.name === 'Sidecars')?.priority, 1);
  const names = (crd: ReturnType<typeof webhookChannelCrd>) => crd.spec.names as { shortNames: string[]; categories: string[] };
  assert.deepEqual(names(webhookChannelCrd()).shortNames, ['whc']);
  assert.deepEqual(names(subscriptionCrd()).shortNames, ['whsub']);
  assert.deepEqual(names(subscriptionCrd()).categories, ['hookbridge']);
});

test('structuralSchema turns unions of objects into one object with an exactly-one rule', () => {
  const s = structuralSchema(z.object({ pick: z.union([z.object({ a: z.string() }).strict(), z.object({ b: z.number() }).strict()]) }));
  const pick = at(s, 'pick');
  assert.equal(pick.type, 'object');
  assert.deepEqual(Object.keys(pick.properties ?? {}), ['a', 'b']);
  assert.equal(pick['x-kubernetes-validations']?.[0].rule, '[has(self.a), has(self.b)].filter(x, x).size() == 1');
  assert.throws(() => structuralSchema(z.object({ x: z.union([z.string(), z.number()]) })), /not representable/);
});
