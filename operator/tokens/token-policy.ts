// Whether a subscription's token must be rotated now: a pure chain of checks, evaluated on every
// reconcile and tested with a fake clock. The first check that fires decides. A credential is never
// regenerated as a side effect: only a missing/invalid token, a new force annotation or the schedule.
import { TOKEN_PREFIX } from '../../shared/api/v1alpha1.ts';

export interface TokenPolicyInput {
  /** The current token Secret's content, if the Secret exists. */
  secret?: { token?: string; rotatedAt?: string; createdAt?: string };
  /** The force-rotation request now (from `hookbridge.io/rotate-token`), if any. */
  annotation?: string;
  /** The request last acted upon (remembered on the token Secret). */
  lastHandledAnnotation?: string;
  /** Rotation interval in ms. */
  interval: number;
  now: number;
}

export const RotationReason = {
  Missing: 'TokenMissing',
  Invalid: 'TokenInvalid',
  Forced: 'ForcedByAnnotation',
  UnknownAge: 'TokenAgeUnknown',
  Due: 'RotationDue',
  UpToDate: 'UpToDate',
} as const;
export type RotationReason = (typeof RotationReason)[keyof typeof RotationReason];

export interface TokenDecision { rotate: boolean; reason: RotationReason; /** When the current token is due (no rotation now). */ nextRotationAt?: number }

type Check = (i: TokenPolicyInput) => TokenDecision | undefined;

const MIN_TOKEN_LENGTH = TOKEN_PREFIX.length + 43; // 256 bits, base64url

const checks: Check[] = [
  (i) => (i.secret?.token === undefined ? { rotate: true, reason: RotationReason.Missing } : undefined),
  (i) => (!i.secret?.token?.startsWith(TOKEN_PREFIX) || i.secret.token.length < MIN_TOKEN_LENGTH ? { rotate: true, reason: RotationReason.Invalid } : undefined),
  (i) => (i.annotation !== undefined && i.annotation !== i.lastHandledAnnotation ? { rotate: true, reason: RotationReason.Forced } : undefined),
  (i) => (issuedAt(i) === undefined ? { rotate: true, reason: RotationReason.UnknownAge } : undefined),
  (i) => {
    const due = (issuedAt(i) as number) + i.interval;
    return i.now >= due ? { rotate: true, reason: RotationReason.Due } : { rotate: false, reason: RotationReason.UpToDate, nextRotationAt: due };
  },
];

/** The issue time of the current token: our annotation, else the Secret's creation time. */
function issuedAt(i: TokenPolicyInput): number | undefined {
  for (const t of [i.secret?.rotatedAt, i.secret?.createdAt]) {
    const ms = t ? Date.parse(t) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

export function tokenPolicy(input: TokenPolicyInput): TokenDecision {
  for (const check of checks) {
    const d = check(input);
    if (d) return d;
  }
  /* c8 ignore next */
  throw new Error('unreachable: the last check always decides');
}
