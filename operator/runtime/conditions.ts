// Conditions as the Kubernetes API conventions define them: lastTransitionTime changes only when
// status changes, observedGeneration on every condition, Ready rolled up from the dependent ones.
import type { Condition } from '../api/status.ts';
import { ConditionType } from '../api/conditions.ts';

export type Status = 'True' | 'False' | 'Unknown';
export interface ConditionInput { type: string; status: Status; reason: string; message: string }

export const condTrue = (type: string, reason: string, message = ''): ConditionInput => ({ type, status: 'True', reason, message });
export const condFalse = (type: string, reason: string, message: string): ConditionInput => ({ type, status: 'False', reason, message });
export const condUnknown = (type: string, reason: string, message: string): ConditionInput => ({ type, status: 'Unknown', reason, message });

/**
 * Ready from its dependents: False if any is False (the first one's reason and message), else Unknown
 * if any is Unknown, else True. `informational` types never hold Ready back unless False.
 */
export function rollup(dependents: ConditionInput[], readyReason: string, readyMessage: string, informational: string[] = []): ConditionInput {
  const failed = dependents.find((c) => c.status === 'False');
  if (failed) return condFalse(ConditionType.Ready, failed.reason, failed.message);
  const unknown = dependents.find((c) => c.status === 'Unknown' && !informational.includes(c.type));
  if (unknown) return condUnknown(ConditionType.Ready, unknown.reason, unknown.message);
  return condTrue(ConditionType.Ready, readyReason, readyMessage);
}

/** The new condition list: previous lastTransitionTime kept where status did not change. Ready first. */
export function mergeConditions(previous: Condition[] | undefined, next: ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  const ordered = [...next].sort((a, b) => (a.type === ConditionType.Ready ? -1 : b.type === ConditionType.Ready ? 1 : 0));
  return ordered.map((c) => {
    const old = byType.get(c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : rfc3339(now);
    return { type: c.type, status: c.status, reason: c.reason, message: c.message, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime };
  });
}

export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const findCondition = (conds: Condition[] | undefined, type: string): Condition | undefined => conds?.find((c) => c.type === type);
