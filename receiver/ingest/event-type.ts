// Where a message's event type comes from (SPEC §2 WebhookChannel.eventType): a request header, or an
// RFC 6901 JSON pointer into a JSON body. Bodies that are not JSON simply carry no type.
import type { IncomingHttpHeaders } from 'node:http';
import type { EventTypeSource } from '../../shared/api/v1alpha1.ts';

export type EventTypeExtractor = (headers: IncomingHttpHeaders, body: Buffer) => string | undefined;

const MAX_EVENT_TYPE_LENGTH = 256;

const none: EventTypeExtractor = () => undefined;

export function eventTypeExtractor(source: EventTypeSource | undefined): EventTypeExtractor {
  if (!source) return none;
  if ('header' in source) {
    const name = source.header.toLowerCase();
    return (headers) => clean(headers[name]);
  }
  const path = parsePointer(source.jsonPointer);
  return (_headers, body) => {
    let doc: unknown;
    try { doc = JSON.parse(body.toString('utf8')); } catch { return undefined; }
    return clean(resolvePointer(doc, path));
  };
}

function clean(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
  if (typeof v !== 'string' || v.length === 0) return undefined;
  return v.length > MAX_EVENT_TYPE_LENGTH ? v.slice(0, MAX_EVENT_TYPE_LENGTH) : v;
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function resolvePointer(doc: unknown, path: readonly string[]): unknown {
  let cur = doc;
  for (const token of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else {
      if (!Object.hasOwn(cur, token)) return undefined;
      cur = (cur as Record<string, unknown>)[token];
    }
  }
  return cur;
}
