// A subscription token's life, as kept on its Secret: the current token (key `token`, what the
// connector reads), when it was minted, and — during a rotation's grace period — the previous token's
// *hash* and when it stops being accepted. The receiver only ever gets hashes (tokenHashes).
import type { TokenHash } from '../../../shared/config.ts';
import { hashToken } from '../../../shared/tokens.ts';
import {
  PREVIOUS_HASH_ANNOTATION, PREVIOUS_NOT_AFTER_ANNOTATION, ROTATE_HANDLED_ANNOTATION, ROTATED_AT_ANNOTATION, TOKEN_KEY,
} from '../../api/labels.ts';
import type { KubeObject } from '../../runtime/kube-client.ts';
import { rfc3339 } from '../../runtime/conditions.ts';
import type { TokenDecision } from './token-policy.ts';

export interface TokenState {
  token: string;
  rotatedAt: string;
  previous?: { sha256: string; notAfter: string };
  /** The force-rotation request last handled. */
  handled?: string;
}

export interface SecretLike extends KubeObject { data?: Record<string, string> }

/** Reads the state from a token Secret (undefined fields when absent or malformed). */
export function readTokenSecret(secret: SecretLike | undefined): { token?: string; rotatedAt?: string; createdAt?: string; previous?: TokenState['previous']; handled?: string } {
  if (!secret) return {};
  const a = secret.metadata.annotations ?? {};
  const raw = secret.data?.[TOKEN_KEY];
  const token = raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
  const prevHash = a[PREVIOUS_HASH_ANNOTATION];
  const prevNotAfter = a[PREVIOUS_NOT_AFTER_ANNOTATION];
  return {
    token,
    rotatedAt: a[ROTATED_AT_ANNOTATION],
    createdAt: secret.metadata.creationTimestamp,
    ...(prevHash && prevNotAfter && /^[0-9a-f]{64}$/.test(prevHash) ? { previous: { sha256: prevHash, notAfter: prevNotAfter } } : {}),
    ...(a[ROTATE_HANDLED_ANNOTATION] !== undefined ? { handled: a[ROTATE_HANDLED_ANNOTATION] } : {}),
  };
}

export interface NextTokenInput {
  current: ReturnType<typeof readTokenSecret>;
  decision: TokenDecision;
  /** The force request now (recorded as handled when we rotate). */
  annotation?: string;
  graceMs: number;
  now: number;
  mint: () => string;
}

/**
 * The state to store. Rotating mints a new token and keeps the old one's hash until now+grace
 * (a missing or invalid old token gets no grace). Not rotating keeps the token and drops an expired
 * previous hash. A second rotation within the grace period revokes the oldest token at once.
 */
export function nextTokenState(i: NextTokenInput): { state: TokenState; rotated: boolean } {
  const { current, decision, now } = i;
  if (!decision.rotate && current.token) {
    const previous = current.previous && Date.parse(current.previous.notAfter) > now ? current.previous : undefined;
    const rotatedAt = current.rotatedAt ?? current.createdAt ?? rfc3339(new Date(now));
    return { state: { token: current.token, rotatedAt, ...(previous ? { previous } : {}), ...(current.handled !== undefined ? { handled: current.handled } : {}) }, rotated: false };
  }
  const keepOld = current.token !== undefined && decision.reason !== 'TokenInvalid' && i.graceMs > 0;
  const handled = i.annotation ?? current.handled;
  return {
    state: {
      token: i.mint(),
      rotatedAt: rfc3339(new Date(now)),
      ...(keepOld ? { previous: { sha256: hashToken(current.token as string), notAfter: rfc3339(new Date(now + i.graceMs)) } } : {}),
      ...(handled !== undefined ? { handled } : {}),
    },
    rotated: true,
  };
}

/** What the receiver accepts: the current token, plus the previous one until its notAfter. */
export function tokenHashes(secret: SecretLike | undefined, now: number): TokenHash[] {
  const s = readTokenSecret(secret);
  if (!s.token) return [];
  const hashes: TokenHash[] = [{ sha256: hashToken(s.token) }];
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
