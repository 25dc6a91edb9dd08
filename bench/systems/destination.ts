// Orchestrator side of servers/destination.ts.
import path from 'node:path';
import { start, waitUntil, type Child } from '../lib/proc.ts';
import type { LatencySummary } from '../lib/stats.ts';

export interface DestinationReport {
  received: number; badSignature: number; unreadable: number; duplicates: number; unique: number;
  measuredDelivered: number; lastAt: number; windowCount: number; windowRate: number; latencyMs: LatencySummary;
}

export interface Destination {
  url: string;
  reset(): Promise<void>;
  report(q: { seqFrom?: number; seqTo?: number; windowStart?: number; windowEnd?: number }): Promise<DestinationReport>;
  /** Waits until `expected` distinct messages with seq in [seqFrom, seqTo) arrived, or timeoutMs passed. */
  waitFor(seqFrom: number, seqTo: number, expected: number, timeoutMs: number): Promise<number>;
  /** Waits until no request arrived for quietMs (a purged backlog's in-flight tail has landed). */
  quiesce(quietMs: number, timeoutMs: number): Promise<void>;
  pid: number;
  stop(): Promise<void>;
}

export async function startDestination(runDir: string, name: string, scheme: 'standard-webhooks' | 'hmac-sha256', secret: string): Promise<Destination> {
  const child: Child = start(name, path.join(import.meta.dirname, '../servers/destination.ts'), runDir, {
    ipc: true, env: { DEST_SCHEME: scheme, DEST_SECRET: secret },
  });
  const { port } = await child.next<{ port: number }>('ready');
  const count = (seqFrom: number, seqTo: number) => child.request<{ count: number; received: number }>({ type: 'count', seqFrom, seqTo }, 'count:ok');
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    reset: async () => { await child.request({ type: 'reset' }, 'reset:ok'); },
    report: (q) => child.request<DestinationReport>({ type: 'report', ...q }, 'report:ok'),
    async waitFor(seqFrom, seqTo, expected, timeoutMs) {
      let n = 0;
      await waitUntil('delivery', async () => (n = (await count(seqFrom, seqTo)).count) >= expected, timeoutMs).catch(() => {});
      return n;
    },
    async quiesce(quietMs, timeoutMs) {
      let last = -1;
      let since = Date.now();
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const { received } = await count(0, 0);
        if (received !== last) { last = received; since = Date.now(); }
        else if (Date.now() - since >= quietMs) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    pid: child.pid,
    stop: () => child.stop(),
  };
}
