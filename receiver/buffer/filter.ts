// Pure helpers both backends share: dead-letter filters and retry-tier choice.
import type { DeadLetter, DeadLetterFilter } from './types.ts';

export function matchesFilter(dl: DeadLetter, f: DeadLetterFilter | undefined): boolean {
  if (!f) return true;
  if (f.ids && !f.ids.includes(dl.id)) return false;
  if (f.since !== undefined && dl.deadLetteredAt < f.since) return false;
  if (f.until !== undefined && dl.deadLetteredAt >= f.until) return false;
  if (f.reason !== undefined && !dl.reason.includes(f.reason)) return false;
  if (f.eventType !== undefined && dl.message.eventType !== f.eventType) return false;
  return true;
}

/** Fallback tier when a subscription has no retry schedule. */
export const DEFAULT_RETRY_TIER_MS = 5_000;

/** Distinct tiers, ascending; never empty. */
export function retryTiers(scheduleMs: readonly number[]): number[] {
  const tiers = [...new Set(scheduleMs.filter((ms) => ms > 0).map((ms) => Math.round(ms)))].sort((a, b) => a - b);
  return tiers.length > 0 ? tiers : [DEFAULT_RETRY_TIER_MS];
}

/**
 * The smallest tier >= delayMs, else the largest. When no tier is long enough the buffers carry a
 * not-before time and park the message again for the rest, so a retry never comes back earlier than asked.
 */
export function pickTier(tiers: readonly number[], delayMs: number): number {
  return tiers.find((t) => t >= delayMs) ?? tiers[tiers.length - 1];
}
