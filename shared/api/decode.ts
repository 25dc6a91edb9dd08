// Strict decoding of manifest documents, as the apiserver does with `kubectl apply` (field validation
// Strict): a kind the API does not serve is "no matches for kind", a field the schema does not know is
// "strict decoding error: unknown field". Standalone mode (`-f`) reads the same YAML, so a typo fails
// there exactly as it would in a cluster instead of being dropped silently.
import { z } from 'zod';
import { API_VERSION, GROUP, Subscription, WebhookChannel } from './v1alpha1.ts';

/** Our kinds, by apiVersion. */
const SERVED: Record<string, Record<string, z.ZodType>> = { [API_VERSION]: { WebhookChannel, Subscription } };

/** Core v1 kinds an apiserver serves (`kubectl apply` accepts them); standalone mode reads only Secret. */
const CORE_V1 = new Set(['Binding', 'ConfigMap', 'Endpoints', 'Event', 'LimitRange', 'Namespace', 'Node', 'PersistentVolume',
  'PersistentVolumeClaim', 'Pod', 'PodTemplate', 'ReplicationController', 'ResourceQuota', 'Secret', 'Service', 'ServiceAccount', 'List']);

/** ObjectMeta's fields (k8s.io/apimachinery meta/v1). */
const OBJECT_META = new Set(['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']);
const SECRET_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable']);
const OBJECT_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

export type Decoded =
  | { kind: 'WebhookChannel' | 'Subscription'; object: Record<string, unknown> }
  | { kind: 'Secret'; object: Record<string, unknown> }
  | { kind: 'other' };

/** What the document is, or throws the apiserver's error for it (without its location; callers add that). */
export function decodeStrict(doc: Record<string, unknown>): Decoded {
  const { apiVersion, kind } = doc;
  if (typeof kind !== 'string' || kind === '') throw new Error("Object 'Kind' is missing");
  if (typeof apiVersion !== 'string' || apiVersion === '') throw new Error("Object 'apiVersion' is missing");
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const served = SERVED[apiVersion]?.[kind];
  if (group === GROUP || Object.values(SERVED).some((kinds) => kind in kinds)) {
    if (!served) throw new Error(`no matches for kind "${kind}" in version "${apiVersion}"`);
    rejectUnknown(kind, apiVersion, unknownFields(served, doc, OBJECT_FIELDS));
    return { kind: kind as 'WebhookChannel' | 'Subscription', object: doc };
  }
  if (apiVersion === 'v1') {
    if (!CORE_V1.has(kind)) throw new Error(`no matches for kind "${kind}" in version "v1"`);
    if (kind !== 'Secret') return { kind: 'other' };
    const unknown = Object.keys(doc).filter((k) => !SECRET_FIELDS.has(k)).sort();
    rejectUnknown(kind, apiVersion, [...unknown, ...metadataUnknown(doc.metadata)]);
    return { kind: 'Secret', object: doc };
  }
  return { kind: 'other' }; // another API group (a Deployment beside the manifests): not ours to judge
}

function rejectUnknown(kind: string, apiVersion: string, fields: string[]): void {
  if (fields.length === 0) return;
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  throw new Error(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${fields.map((f) => `unknown field "${f}"`).join(', ')}`);
}

function metadataUnknown(meta: unknown): string[] {
  if (!isObject(meta)) return [];
  return Object.keys(meta).filter((k) => !OBJECT_META.has(k)).sort().map((k) => `metadata.${k}`);
}

interface Node { properties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean; anyOf?: Node[]; oneOf?: Node[]; allOf?: Node[] }
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const schemas = new WeakMap<z.ZodType, Node>();
function jsonSchema(schema: z.ZodType): Node {
  let n = schemas.get(schema);
  if (!n) {
    n = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Node;
    schemas.set(schema, n);
  }
  return n;
}

/** Field paths in `doc` that `schema` does not declare (apiserver spelling: `spec.a.b`, `spec.list[0].c`). */
export function unknownFields(schema: z.ZodType, doc: Record<string, unknown>, topLevel: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(doc)) if (!topLevel.has(k)) out.push(k);
  out.push(...metadataUnknown(doc.metadata));
  const spec = jsonSchema(schema).properties?.spec;
  if (spec && doc.spec !== undefined) walk(spec, doc.spec, 'spec', out);
  return out.sort();
}

/** Members of anyOf/oneOf/allOf merged into one node (a union of objects accepts any member's keys). */
function merged(node: Node): Node {
  const members = [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])].map(merged);
  if (members.length === 0) return node;
  const properties: Record<string, Node> = { ...(node.properties ?? {}) };
  for (const m of members) Object.assign(properties, m.properties ?? {});
  const items = members.find((m) => m.items)?.items ?? node.items;
  const open = members.some((m) => !m.properties && m.additionalProperties !== false && !m.items);
  return { properties: Object.keys(properties).length > 0 || !open ? properties : undefined, items };
}

function walk(raw: Node, value: unknown, path: string, out: string[]): void {
  const node = merged(raw);
  if (Array.isArray(value)) {
    if (node.items) value.forEach((v, i) => walk(node.items as Node, v, `${path}[${i}]`, out));
    return;
  }
  if (!isObject(value)) return;
  if (node.properties) {
    for (const [k, v] of Object.entries(value)) {
      const child = node.properties[k];
      if (child) walk(child, v, `${path}.${k}`, out);
      else out.push(`${path}.${k}`);
    }
  } else if (isObject(node.additionalProperties)) {
    for (const [k, v] of Object.entries(value)) walk(node.additionalProperties, v, `${path}.${k}`, out);
  }
}
