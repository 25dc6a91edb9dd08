// Inbound signature verification at the edge (SPEC §2 `verify`). One verifier per channel is built when
// the config is applied (secrets decoded once); each request costs one HMAC per configured secret.
// Every comparison is constant-time and every secret is tried (no early exit), so several secrets can be
// accepted at once during a rotation without timing revealing which one matched.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelConfig } from '../../../shared/config.ts';
import { secretKey, verify as verifyStandardWebhooks } from '../../../shared/standard-webhooks.ts';

/** True when the request carries a valid signature by one of the channel's secrets. `now` is epoch ms. */
export type Verifier = (headers: IncomingHttpHeaders, body: Buffer, now: number) => boolean;

/** A channel's `verify` as the receiver's configuration carries it. */
export type VerifySpec = NonNullable<ChannelConfig['verify']>;

export function createVerifier(spec: VerifySpec): Verifier {
  const tolerance = spec.toleranceSeconds;
  switch (spec.provider) {
    case 'github': return hexHeaderVerifier('x-hub-signature-256', keys(spec.secrets));
    case 'hmac': return hexHeaderVerifier('x-signature', keys(spec.secrets));
    case 'stripe': return stripeVerifier(keys(spec.secrets), tolerance);
    case 'slack': return slackVerifier(keys(spec.secrets), tolerance);
    case 'standard-webhooks': return standardVerifier(standardKeys(spec.secrets), tolerance);
  }
}

const keys = (secrets: string[]): Buffer[] => secrets.map((s) => Buffer.from(s, 'utf8'));

/** Standard Webhooks keys (shared/standard-webhooks.ts); a secret that is not base64 verifies nothing (fails closed). */
function standardKeys(secrets: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const s of secrets) { try { out.push(secretKey(s)); } catch { /* no key: matches nothing */ } }
  return out;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function hmac(key: Buffer, prefix: string, body: Buffer): Buffer {
  const h = createHmac('sha256', key);
  if (prefix) h.update(prefix, 'utf8');
  return h.update(body).digest();
}

/** Constant-time over every (secret, presented signature) pair. */
function anyMatch(expected: Buffer[], presented: Buffer[]): boolean {
  let ok = false;
  for (const e of expected) {
    for (const p of presented) {
      if (p.length === e.length && timingSafeEqual(p, e)) ok = true;
    }
  }
  return ok;
}

/** Timestamp (seconds) within tolerance of now; tolerance 0 disables the age check. */
function fresh(ts: string | undefined, toleranceSeconds: number, now: number): boolean {
  if (ts === undefined || !/^[0-9]{1,12}$/.test(ts)) return false;
  return toleranceSeconds === 0 || Math.abs(now / 1000 - Number(ts)) <= toleranceSeconds;
}

/** GitHub `X-Hub-Signature-256: sha256=<hex>` and the generic `X-Signature: sha256=<hex>`. */
function hexHeaderVerifier(name: string, secrets: Buffer[]): Verifier {
  return (headers, body) => {
    const v = header(headers, name);
    if (!v?.startsWith('sha256=')) return false;
    const presented = Buffer.from(v.slice(7), 'hex');
    return anyMatch(secrets.map((k) => hmac(k, '', body)), [presented]);
  };
}

/** Stripe-Signature: `t=<unix>,v1=<hex>[,v1=<hex>...]`, signed payload `${t}.${body}`. */
function stripeVerifier(secrets: Buffer[], tolerance: number): Verifier {
  return (headers, body, now) => {
    const v = header(headers, 'stripe-signature');
    if (!v) return false;
    let t: string | undefined;
    const sigs: Buffer[] = [];
    for (const part of v.split(',')) {
      const eq = part.indexOf('=');
      const k = part.slice(0, eq).trim();
      const val = part.slice(eq + 1).trim();
      if (k === 't') t = val;
      else if (k === 'v1') sigs.push(Buffer.from(val, 'hex'));
    }
    if (!fresh(t, tolerance, now) || sigs.length === 0) return false;
    return anyMatch(secrets.map((k) => hmac(k, `${t}.`, body)), sigs);
  };
}

/** Slack: `X-Slack-Signature: v0=<hex>` over `v0:${X-Slack-Request-Timestamp}:${body}`. */
function slackVerifier(secrets: Buffer[], tolerance: number): Verifier {
  return (headers, body, now) => {
    const ts = header(headers, 'x-slack-request-timestamp');
    const v = header(headers, 'x-slack-signature');
    if (!v?.startsWith('v0=') || !fresh(ts, tolerance, now)) return false;
    return anyMatch(secrets.map((k) => hmac(k, `v0:${ts}:`, body)), [Buffer.from(v.slice(3), 'hex')]);
  };
}

/** Standard Webhooks: `webhook-signature: v1,<b64> [v1,<b64>...]` over `${webhook-id}.${webhook-timestamp}.${body}`. */
function standardVerifier(secrets: Buffer[], tolerance: number): Verifier {
  return (headers, body, now) => secrets.length > 0 && verifyStandardWebhooks(secrets, headers, body, now, tolerance).ok;
}
