// zod 4 → Kubernetes structural OpenAPI v3. `z.toJSONSchema` gives JSON Schema (OpenAPI 3.0 flavour);
// a CRD needs a *structural* schema: every node typed, no anyOf/oneOf carrying types, no
// `additionalProperties: false` next to `properties`. Unions of single-key objects (EventTypeSource)
// become one object with every key optional plus a CEL rule that exactly one is set.
import { z } from 'zod';

export interface Validation { rule: string; message: string; messageExpression?: string; reason?: string; fieldPath?: string }

/** The subset of OpenAPI v3 a CRD accepts (apiextensions.k8s.io/v1 JSONSchemaProps). */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-validations'?: Validation[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

type Raw = Record<string, unknown>;
const SAFE = Number.MAX_SAFE_INTEGER;

/** Converts a zod schema (as its input type: defaulted fields are optional) to a structural schema. */
export function structuralSchema(schema: z.ZodType): JSONSchemaProps {
  const raw = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as Raw;
  delete raw.$schema;
  return convert(raw);
}

function convert(node: Raw): JSONSchemaProps {
  if (Array.isArray(node.anyOf) || Array.isArray(node.oneOf)) return convertUnion(node);
  const out: JSONSchemaProps = {};
  if (typeof node.description === 'string') out.description = node.description;
  if (typeof node.type === 'string') out.type = node.type as JSONSchemaProps['type'];
  if (node.type === 'object') {
    const props = node.properties as Record<string, Raw> | undefined;
    if (props) out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, convert(v)]));
    if (Array.isArray(node.required) && node.required.length > 0) out.required = node.required as string[];
    if (!props && node.additionalProperties && typeof node.additionalProperties === 'object') {
      out.additionalProperties = convert(node.additionalProperties as Raw);
    }
  }
  if (node.type === 'array' && node.items) out.items = convert(node.items as Raw);
  for (const key of ['enum', 'default', 'format', 'pattern', 'minLength', 'maxLength', 'minItems', 'maxItems',
    'exclusiveMinimum', 'exclusiveMaximum', 'nullable'] as const) {
    if (node[key] !== undefined) (out as Raw)[key] = node[key];
  }
  if (typeof node.minimum === 'number' && node.minimum !== -SAFE) out.minimum = node.minimum;
  if (typeof node.maximum === 'number' && node.maximum !== SAFE) out.maximum = node.maximum;
  return out;
}

/** A union of objects with disjoint keys → one object; CEL enforces exactly one key. */
function convertUnion(node: Raw): JSONSchemaProps {
  const members = ((node.anyOf ?? node.oneOf) as Raw[]).map(convert);
  if (!members.every((m) => m.type === 'object' && m.properties)) {
    throw new Error(`union of non-objects is not representable in a structural schema: ${JSON.stringify(node)}`);
  }
  const properties: Record<string, JSONSchemaProps> = {};
  for (const m of members) Object.assign(properties, m.properties);
  const keys = Object.keys(properties);
  const out: JSONSchemaProps = { type: 'object', properties };
  if (typeof node.description === 'string') out.description = node.description;
  if (node.default !== undefined) out.default = node.default;
  out['x-kubernetes-validations'] = [{
    rule: exactlyOne(keys),
    message: `exactly one of ${keys.join(', ')} must be set`,
  }];
  return out;
}

/** CEL: exactly one of the given optional fields of `self` is set. */
export function exactlyOne(keys: string[]): string {
  return `[${keys.map((k) => `has(self.${k})`).join(', ')}].filter(x, x).size() == 1`;
}

/** Walks `a.b.c` through properties (`[]` steps into array items), creating nothing. */
export function at(schema: JSONSchemaProps, path: string): JSONSchemaProps {
  let node = schema;
  for (const step of path.split('.').filter(Boolean)) {
    const next = step === '[]' ? node.items : node.properties?.[step];
    if (!next) throw new Error(`schema has no ${path} (stuck at ${step})`);
    node = next;
  }
  return node;
}

export function addRule(schema: JSONSchemaProps, path: string, v: Validation): void {
  const node = at(schema, path);
  (node['x-kubernetes-validations'] ??= []).push(v);
}
