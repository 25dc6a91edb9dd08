// A subscription token's life, as kept on its Secret: the current token (key `token`, the only key the
// connector mounts), when it was minted, and — during a rotation's grace period — the previous
// token's *hash* and when it stops being accepted. The receiver only ever gets hashes (tokenHashes).
//
// A rotation has two steps, so a connector never holds a token the receiver does not accept yet:
// 1. stage: the new token goes to key `next-token`; its hash joins the receiver config;
// 2. promote, once the receiver config carries that hash: `token` := the new token, and the old
//    token's hash stays accepted until now + gracePeriod.
import { TOKEN_PREFIX } from '../../shared/api/v1alpha1.ts';
import type { TokenHash } from '../../shared/config.ts';
import { hashToken } from '../../shared/tokens.ts';
import {
  NEXT_TOKEN_KEY, PREVIOUS_HASH_ANNOTATION, PREVIOUS_NOT_AFTER_ANNOTATION, ROTATE_HANDLED_ANNOTATION, ROTATED_AT_ANNOTATION, TOKEN_KEY,
} from '../../shared/labels.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { rfc3339 } from '../runtime/conditions.ts';
import type { TokenDecision } from './token-policy.ts';

export interface TokenState {
  token: string;
  rotatedAt: string;
  /** Staged successor, not yet handed to the connector. */
  next?: string;
  previous?: { sha256: string; notAfter: string };
  /** The force-rotation request last handled. */
  handled?: string;
}

export interface SecretLike extends KubeObject { data?: Record<string, string> }
export type StoredToken = Partial<TokenState> & { createdAt?: string };

const looksLikeToken = (t: string | undefined): t is string => t !== undefined && t.startsWith(TOKEN_PREFIX) && t.length >= TOKEN_PREFIX.length + 43;
const decode = (v: string | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));

/** Reads the state from a token Secret (fields absent when missing or malformed). */
export function readTokenSecret(secret: SecretLike | undefined): StoredToken {
  if (!secret) return {};
  const a = secret.metadata.annotations ?? {};
  const next = decode(secret.data?.[NEXT_TOKEN_KEY]);
  const prevHash = a[PREVIOUS_HASH_ANNOTATION];
  const prevNotAfter = a[PREVIOUS_NOT_AFTER_ANNOTATION];
  return {
    token: decode(secret.data?.[TOKEN_KEY]),
    rotatedAt: a[ROTATED_AT_ANNOTATION],
    createdAt: secret.metadata.creationTimestamp,
    ...(looksLikeToken(next) ? { next } : {}),
    ...(prevHash && prevNotAfter && /^[0-9a-f]{64}$/.test(prevHash) ? { previous: { sha256: prevHash, notAfter: prevNotAfter } } : {}),
    ...(a[ROTATE_HANDLED_ANNOTATION] !== undefined ? { handled: a[ROTATE_HANDLED_ANNOTATION] } : {}),
  };
}

export interface NextTokenInput {
  current: StoredToken;
  decision: TokenDecision;
  /** The force request now (recorded as handled when a rotation starts). */
  annotation?: string;
  /** The receiver config carries the staged token's hash (long enough to have been loaded). */
  nextAccepted: boolean;
  graceMs: number;
  now: number;
  mint: () => string;
}

export type TokenStep = 'none' | 'issued' | 'staged' | 'promoted';

/**
 * The state to store, and what happened. A missing or invalid token is replaced at once (no connector
 * holds a usable one; nothing to keep). A valid one is rotated in two steps (see the top of the file).
 * Not rotating keeps the token and drops an expired previous hash. A rotation started while the
 * previous token is still in its grace period revokes that one at promotion.
 */
export function nextTokenState(i: NextTokenInput): { state: TokenState; step: TokenStep } {
  const { current: c, now } = i;
  const keep = { ...(c.handled !== undefined ? { handled: c.handled } : {}) };
  const livePrevious = c.previous && Date.parse(c.previous.notAfter) > now ? { previous: c.previous } : {};
  const rotatedAt = c.rotatedAt ?? c.createdAt ?? rfc3339(new Date(now));
  if (looksLikeToken(c.token) && c.next) {
    if (!i.nextAccepted) return { state: { token: c.token, rotatedAt, next: c.next, ...livePrevious, ...keep }, step: 'none' };
    const previous = i.graceMs > 0 ? { previous: { sha256: hashToken(c.token), notAfter: rfc3339(new Date(now + i.graceMs)) } } : {};
    return { state: { token: c.next, rotatedAt: rfc3339(new Date(now)), ...previous, ...keep }, step: 'promoted' };
  }
  const handled = i.annotation ?? c.handled;
  const handledField = handled !== undefined ? { handled } : {};
  if (!looksLikeToken(c.token)) {
    return { state: { token: i.mint(), rotatedAt: rfc3339(new Date(now)), ...handledField }, step: 'issued' };
  }
  if (i.decision.rotate) {
    return { state: { token: c.token, rotatedAt, next: i.mint(), ...livePrevious, ...handledField }, step: 'staged' };
  }
  return { state: { token: c.token, rotatedAt, ...livePrevious, ...keep }, step: 'none' };
}

/** What the receiver accepts: the current token, a staged successor, and the previous one until its notAfter. */
export function tokenHashes(secret: SecretLike | undefined, now: number): TokenHash[] {
  const s = readTokenSecret(secret);
  if (!looksLikeToken(s.token)) return [];
  const hashes: TokenHash[] = [{ sha256: hashToken(s.token) }];
  if (s.next) hashes.push({ sha256: hashToken(s.next) });
  if (s.previous && Date.parse(s.previous.notAfter) > now) hashes.push({ sha256: s.previous.sha256, notAfter: s.previous.notAfter });
  return hashes;
}

/** The annotation value that forces a rotation: the channel's and the subscription's requests together. */
export function forceRequest(channelAnnotation: string | undefined, subscriptionAnnotation: string | undefined): string | undefined {
  const parts = [
    ...(channelAnnotation !== undefined ? [`channel=${channelAnnotation}`] : []),
    ...(subscriptionAnnotation !== undefined ? [`subscription=${subscriptionAnnotation}`] : []),
  ];
  return parts.length ? parts.join(';') : undefined;
}
