// Outbound signatures (SPEC §6), both schemes in one place: the connector signs with them and
// `hookbridge echo` checks with them. Standard Webhooks (./standard-webhooks.ts, the one implementation
// the receiver and echo verify with too): `webhook-id`, `webhook-timestamp` (unix seconds) and
// `webhook-signature: v1,<base64>`, one space-separated entry per secret while a secret rotates.
// hmac-sha256 (seed 001): `X-Signature: sha256=<hex HMAC-SHA256(body)>`, keyed by the secret's UTF-8 bytes.
import { createHmac } from 'node:crypto';
import type { SigningScheme } from './api/v1alpha1.ts';
import { cachedKey, signHeaders, SigningSecretError } from './standard-webhooks.ts';

export type { SigningScheme };

/** The seed-001 scheme: the secret string itself (UTF-8) keys an HMAC over the raw body. */
export function hmacSignature(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

const usable = (secrets: readonly string[]): string[] => secrets.map((s) => s.trim()).filter((s) => s.length > 0);

/** Why these secrets cannot sign (a Standard Webhooks secret that is not base64), or undefined. Never names the secret. */
export function signingProblem(scheme: SigningScheme, secrets: readonly string[]): string | undefined {
  if (scheme !== 'standard-webhooks') return undefined;
  for (const s of usable(secrets)) {
    try { cachedKey(s); } catch (err) { if (err instanceof SigningSecretError) return err.message; throw err; }
  }
  return undefined;
}

/**
 * Signature headers for one request. Empty secrets are skipped; no secrets → no signature header.
 * Throws SigningSecretError for a Standard Webhooks secret that is not base64 (check signingProblem first).
 */
export function signatureHeaders(
  scheme: SigningScheme, secrets: readonly string[], id: string, timestampSec: number, body: Buffer,
): Record<string, string> {
  const list = usable(secrets);
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestampSec) };
  if (list.length === 0) return headers;
  if (scheme === 'hmac-sha256') {
    headers['x-signature'] = list.map((s) => hmacSignature(s, body)).join(', ');
    return headers;
  }
  return signHeaders(list.map(cachedKey), id, timestampSec, body);
}
