// Reading WebhookChannel, Subscription and Secret manifests (`-f FILE|DIR`): the same YAML you would
// `kubectl apply`, decoded as strictly as the apiserver would. Standalone mode (receiver, `hookbridge dev`)
// and `hookbridge listen -f` read them here, then each compiles what it needs with ./compile.ts.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { decodeStrict, type Decoded } from './decode.ts';
import { Subscription, WebhookChannel } from './v1alpha1.ts';

export interface ManifestFile { path: string; text: string }

export interface ManifestSet {
  channels: WebhookChannel[];
  subscriptions: Subscription[];
  /** `ns/name` → decoded Secret data. */
  secrets: Map<string, Record<string, string>>;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Reads a file, or every .yaml/.yml/.json file under a folder (sorted, recursively). */
export function readManifestFiles(paths: readonly string[]): ManifestFile[] {
  const out: ManifestFile[] = [];
  const visit = (p: string): void => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (!e.startsWith('.')) {
        const child = path.join(p, e);
        if (fs.statSync(child).isDirectory() || MANIFEST_EXT.test(e)) visit(child);
      }
    } else {
      out.push({ path: p, text: fs.readFileSync(p, 'utf8') });
    }
  };
  for (const p of paths) visit(p);
  return out;
}

/**
 * Parses every document strictly, as the apiserver would (shared/api/decode.ts): an unknown kind or field
 * throws the apiserver's error with its file and document. Kinds of other API groups are ignored.
 */
export function parseManifests(files: readonly ManifestFile[]): ManifestSet {
  const set: ManifestSet = { channels: [], subscriptions: [], secrets: new Map() };
  for (const f of files) {
    for (const [i, doc] of parseAllDocuments(f.text).entries()) {
      const where = `${f.path} (document ${i + 1})`;
      if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0].message}`);
      const obj = doc.toJS() as unknown;
      if (obj === null || obj === undefined) continue;
      if (typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${where}: not a Kubernetes object`);
      let decoded: Decoded;
      try { decoded = decodeStrict(obj as Record<string, unknown>); } catch (err) { throw new Error(`${where}: ${(err as Error).message}`); }
      const withNs = (o: Record<string, unknown>) => ({ ...o, metadata: { namespace: 'default', ...(o.metadata as object) } });
      if (decoded.kind === 'WebhookChannel') set.channels.push(parse(WebhookChannel, withNs(decoded.object), where));
      else if (decoded.kind === 'Subscription') set.subscriptions.push(parse(Subscription, withNs(decoded.object), where));
      else if (decoded.kind === 'Secret') {
        const o = decoded.object;
        const meta = (o.metadata ?? {}) as { name?: string; namespace?: string };
        if (!meta.name) throw new Error(`${where}: Secret without metadata.name`);
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) data[k] = Buffer.from(String(v), 'base64').toString('utf8');
        for (const [k, v] of Object.entries((o.stringData ?? {}) as Record<string, string>)) data[k] = String(v);
        set.secrets.set(`${meta.namespace ?? 'default'}/${meta.name}`, data);
      }
    }
  }
  return set;
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, v: unknown, where: string): T {
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(`${where}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
}
