// Standalone configuration (`-f FILE|DIR`): the same WebhookChannel, Subscription and Secret YAML you would
// `kubectl apply`, compiled with shared/api/compile.ts exactly as the operator does. Stream tokens come from
// `<sub>-hookbridge-token` Secrets in the manifests, else they are minted once per process and reported.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { channelKeyOf, compileChannel, destinationProblem, destinationUrl, duplicateOf, namespaceAllowed, objectKey, type BoundSubscription } from '../../shared/api/compile.ts';
import { decodeStrict, type Decoded } from '../../shared/api/decode.ts';
import { Subscription, tokenSecretName, WebhookChannel } from '../../shared/api/v1alpha1.ts';
import { keyOf, type ObjectKey, type ReceiverConfig } from '../../shared/config.ts';
import { hashToken, mintToken } from '../../shared/tokens.ts';
import { secretKey } from '../../shared/standard-webhooks.ts';

export interface ManifestFile { path: string; text: string }

export interface ManifestSet {
  channels: WebhookChannel[];
  subscriptions: Subscription[];
  /** `ns/name` → decoded Secret data. */
  secrets: Map<string, Record<string, string>>;
}

/** A stream token for one bound subscription, with where it came from. */
export interface SubscriptionToken { subscription: ObjectKey; channel: ObjectKey; token: string; minted: boolean; destination?: string }

export interface CompiledManifests {
  config: ReceiverConfig;
  tokens: SubscriptionToken[];
  /** Objects that were skipped or degraded, for a person to fix. */
  problems: string[];
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

/**
 * Compiles manifests into the receiver's configuration. `minted` remembers tokens minted earlier in this
 * process (by subscription key), so re-reading the files never changes a token a connector already uses.
 */
export function compileManifests(set: ManifestSet, minted: Map<string, string>): CompiledManifests {
  const problems: string[] = [];
  const tokens: SubscriptionToken[] = [];
  const channels = set.channels.map((ch) => {
    const key = keyOf(objectKey(ch));
    const candidates = set.subscriptions.filter((s) => keyOf(channelKeyOf(s)) === key);
    const bound: BoundSubscription[] = [];
    for (const sub of candidates) {
      const subKey = keyOf(objectKey(sub));
      const dup = duplicateOf(sub, candidates);
      if (!namespaceAllowed(ch, objectKey(sub).namespace)) { problems.push(`Subscription ${subKey}: NamespaceNotAllowed on channel ${key}`); continue; }
      if (dup) { problems.push(`Subscription ${subKey}: DuplicateSubscription of ${keyOf(objectKey(dup))}`); continue; }
      const invalid = destinationProblem(sub);
      if (invalid) { problems.push(`Subscription ${subKey}: InvalidDestination (${invalid})`); continue; }
      const destination = destinationUrl(sub);
      const fromSecret = set.secrets.get(`${objectKey(sub).namespace}/${tokenSecretName(sub.metadata.name)}`)?.token?.trim();
      let token = fromSecret;
      if (!token) {
        token = minted.get(subKey) ?? mintToken();
        minted.set(subKey, token);
      }
      tokens.push({ subscription: objectKey(sub), channel: objectKey(ch), token, minted: !fromSecret, destination });
      bound.push({ subscription: sub, tokens: [{ sha256: hashToken(token) }] });
    }
    const verifySecrets: string[] = [];
    const ref = ch.spec.verify?.secretRef;
    if (ref) {
      const value = set.secrets.get(`${objectKey(ch).namespace}/${ref.name}`)?.[ref.key];
      if (value) {
        verifySecrets.push(value);
        if (ch.spec.verify?.provider === 'standard-webhooks') {
          try { secretKey(value); } catch (err) { problems.push(`WebhookChannel ${key}: verify secret ${ref.name}/${ref.key}: ${(err as Error).message}; every request will fail verification`); }
        }
      }
      else problems.push(`WebhookChannel ${key}: verify secret ${ref.name}/${ref.key} not found in the manifests; every request will fail verification`);
    }
    return compileChannel(ch, bound, verifySecrets);
  });
  for (const sub of set.subscriptions) {
    const ck = keyOf(channelKeyOf(sub));
    if (!set.channels.some((c) => keyOf(objectKey(c)) === ck)) problems.push(`Subscription ${keyOf(objectKey(sub))}: ChannelNotFound (${ck})`);
  }
  return { config: { channels }, tokens, problems };
}
