// What `hookbridge listen` prints per settled delivery: one aligned line on a terminal (time, event type,
// id, status, latency, and what happens next), one JSON object per line otherwise (for jq and log files).
import type { DeliveryReport } from './delivery/deliver.ts';

const pad2 = (n: number): string => String(n).padStart(2, '0');
const clock = (d: Date): string => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;

export function formatLine(r: DeliveryReport, now = new Date()): string {
  const status = r.status !== undefined ? String(r.status) : r.outcome === 'duplicate' ? 'dup' : r.outcome === 'released' ? '-' : 'ERR';
  const next = r.outcome === 'retry' ? `  retry in ${Math.round((r.delayMs ?? 0) / 1000)}s: ${r.reason}`
    : r.outcome === 'dead' ? `  dead: ${r.reason}`
      : r.outcome === 'released' ? '  handed back (shutting down)' : '';
  const attempt = r.attempt > 1 ? `  attempt ${r.attempt}` : '';
  return `${clock(now)}  ${(r.eventType ?? '-').padEnd(20)} ${r.id}  → ${status.padEnd(3)} ${`${Math.round(r.latencyMs)}ms`.padStart(7)}${attempt}${next}\n`;
}

export function formatJson(r: DeliveryReport, now = new Date()): string {
  return `${JSON.stringify({
    time: now.toISOString(), id: r.id, subscription: r.subscription, eventType: r.eventType ?? null, attempt: r.attempt,
    outcome: r.outcome, status: r.status ?? null, latencyMs: Math.round(r.latencyMs),
    ...(r.reason !== undefined && { reason: r.reason }), ...(r.delayMs !== undefined && { retryInMs: r.delayMs }),
  })}\n`;
}
