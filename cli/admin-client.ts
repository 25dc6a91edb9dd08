// The on-call commands' side of the admin API: base URL and bearer token from flags or the environment
// ($HOOKBRIDGE_ADMIN_URL, $HOOKBRIDGE_ADMIN_TOKEN), JSON in and out, the API's error answer as the message.
import { readFileSync } from 'node:fs';
import { UsageError, type FlagSpec } from '../shared/process/flags.ts';

export const ADMIN_FLAGS = {
  'admin-url': { type: 'string', help: 'receiver base URL serving the admin API, e.g. http://localhost:8080' },
  'admin-token': { type: 'string', help: 'admin bearer token (prefer $HOOKBRIDGE_ADMIN_TOKEN or --admin-token-file)' },
  'admin-token-file': { type: 'string', help: 'file holding the admin token' },
  output: { type: 'string', short: 'o', help: 'table or json (default: table on a terminal, json otherwise)' },
} satisfies FlagSpec;

export class AdminError extends Error {
  readonly status: number;
  constructor(status: number, message: string) { super(message); this.status = status; }
}

export interface AdminClient { call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> }

export function adminClient(f: { 'admin-url'?: string; 'admin-token'?: string; 'admin-token-file'?: string }): AdminClient {
  const base = f['admin-url'];
  if (!base || !URL.canParse(base)) throw new UsageError('--admin-url URL (or $HOOKBRIDGE_ADMIN_URL) is required');
  let token = f['admin-token'];
  if (!token && f['admin-token-file']) {
    try { token = readFileSync(f['admin-token-file'], 'utf8').trim(); } catch (err) { throw new UsageError(`--admin-token-file: ${(err as Error).message}`); }
  }
  if (!token) throw new UsageError('--admin-token (or $HOOKBRIDGE_ADMIN_TOKEN, or --admin-token-file) is required');
  const root = `${base.replace(/\/+$/, '')}/admin/webhook-connect`;
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(root + path, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      } catch (err) {
        throw new AdminError(0, `cannot reach ${base}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
      }
      const text = await res.text();
      let json: unknown;
      try { json = text ? JSON.parse(text) : {}; } catch { json = undefined; }
      if (!res.ok) {
        const e = (json ?? {}) as { error?: string; message?: string };
        throw new AdminError(res.status, `${method} ${path}: ${res.status} ${e.error ?? ''}${e.message ? ` — ${e.message}` : text ? ` — ${text.slice(0, 200)}` : ''}`);
      }
      return json as T;
    },
  };
}

/** `table` on a terminal, else `json`; `-o` decides. */
export function outputMode(flag: string | undefined, isTTY: boolean): 'table' | 'json' {
  if (flag === undefined) return isTTY ? 'table' : 'json';
  if (flag !== 'table' && flag !== 'json') throw new UsageError('--output must be table or json');
  return flag;
}

/** Query string of the given, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function channelPath(channel: string | undefined): string {
  const [ns, name, ...rest] = (channel ?? '').split('/');
  if (!ns || !name || rest.length > 0) throw new UsageError('--channel NAMESPACE/NAME is required');
  return `/channels/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
}

/** Where a command writes, and whether that is a terminal (tests pass their own). */
export interface Io { out(text: string): void; isTTY: boolean }
export const stdio = (): Io => ({ out: (t) => { process.stdout.write(t); }, isTTY: process.stdout.isTTY === true });
