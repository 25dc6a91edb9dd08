// Optional payload formats (seed 004): `raw` relays the bytes untouched (the default — signatures from
// the provider keep verifying); `zapier` flattens the JSON into one level of keys; `make` wraps it in an
// envelope; `convertkit` maps a lead to ConvertKit's subscriber shape; `template` fills a JSON template
// whose strings hold `{{ .path }}` placeholders over {id, eventType, receivedAt, data}. `includeMessageId`
// (seed 000's include_message_id) adds `message_id` to the JSON object delivered, whatever the format.

import type { Transform as TransformSpec } from '../../shared/config/connector.ts';

export type { TransformSpec };
export interface TransformInput { id: string; eventType?: string; receivedAt: string; contentType?: string; body: Buffer }
export type TransformResult = { ok: true; body: Buffer; contentType?: string } | { ok: false; reason: string };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function flatten(v: Json, prefix: string, out: Record<string, Json>): Record<string, Json> {
  if (isObject(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}__${k}` : k, out);
  else if (Array.isArray(v)) v.forEach((x, i) => flatten(x, prefix ? `${prefix}__${i}` : String(i), out));
  else out[prefix || 'value'] = v;
  return out;
}

/** `.a.b.0` against a value; undefined when a step is missing. */
function lookupPath(root: Json, path: string): Json | undefined {
  let cur: Json | undefined = root;
  for (const step of path.split('.').filter(Boolean)) {
    if (Array.isArray(cur)) cur = cur[Number(step)];
    else if (isObject(cur)) cur = Object.hasOwn(cur, step) ? cur[step] : undefined;
    else return undefined;
  }
  return cur;
}

const PLACEHOLDER = /\{\{\s*(\.[A-Za-z0-9_.$-]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*(\.[A-Za-z0-9_.$-]*)\s*\}\}$/;

function fill(t: Json, ctx: Json): Json {
  if (typeof t === 'string') {
    const whole = WHOLE.exec(t);
    if (whole) return lookupPath(ctx, whole[1]) ?? null;
    return t.replace(PLACEHOLDER, (_m, p: string) => {
      const v = lookupPath(ctx, p);
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(t)) return t.map((x) => fill(x, ctx));
  if (isObject(t)) return Object.fromEntries(Object.entries(t).map(([k, x]) => [k, fill(x, ctx)]));
  return t;
}

function convertkit(data: Json): Json {
  const d = isObject(data) ? data : {};
  const email = d.email_address ?? d.email ?? null;
  const firstName = d.first_name ?? d.firstName ?? d.name ?? null;
  const known = new Set(['email_address', 'email', 'first_name', 'firstName', 'name', 'tags']);
  const fields = Object.fromEntries(Object.entries(d).filter(([k, v]) => !known.has(k) && (v === null || typeof v !== 'object')));
  return { email_address: email, first_name: firstName, fields, ...(Array.isArray(d.tags) ? { tags: d.tags } : {}) };
}

export function transform(spec: TransformSpec | undefined, m: TransformInput): TransformResult {
  const r = reshape(spec, m);
  if (!r.ok || !spec?.includeMessageId) return r;
  let out: Json;
  try { out = JSON.parse(r.body.toString('utf8')) as Json; } catch { return r; }
  if (!isObject(out)) return r;
  return { ok: true, body: Buffer.from(JSON.stringify({ ...out, message_id: m.id }), 'utf8'), contentType: r.contentType ?? 'application/json' };
}

function reshape(spec: TransformSpec | undefined, m: TransformInput): TransformResult {
  if (!spec || spec.format === 'raw') return { ok: true, body: m.body, ...(m.contentType ? { contentType: m.contentType } : {}) };
  let data: Json;
  try { data = JSON.parse(m.body.toString('utf8')) as Json; } catch { return { ok: false, reason: `transform ${spec.format}: body is not JSON` }; }
  const meta = { id: m.id, event_type: m.eventType ?? null, received_at: m.receivedAt };
  let out: Json;
  switch (spec.format) {
    case 'zapier': out = { ...meta, ...flatten(data, '', {}) }; break;
    case 'make': out = { ...meta, data }; break;
    case 'convertkit': out = convertkit(data); break;
    case 'template': {
      if (!spec.template) return { ok: false, reason: 'transform template: no template given' };
      let t: Json;
      try { t = JSON.parse(spec.template) as Json; } catch { return { ok: false, reason: 'transform template: template is not JSON' }; }
      out = fill(t, { id: m.id, eventType: m.eventType ?? null, receivedAt: m.receivedAt, data });
      break;
    }
  }
  return { ok: true, body: Buffer.from(JSON.stringify(out), 'utf8'), contentType: 'application/json' };
}
