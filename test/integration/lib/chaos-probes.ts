// What the fault-injection tests ask the running relay (the receiver's admin API, /metrics, /readyz),
// and the end of every such run: stop the load, wait until each 202'd id has reached the destination
// through every subscription or shows up dead-lettered, and sum it all up.
import { eventually } from '../../harness/eventually.ts';
import { ChaosDestination } from './chaos-destination.ts';
import type { ChaosLoad, Outcome } from './chaos-load.ts';
import { ChaosStack, CHANNEL, NS, SUBSCRIPTIONS } from './chaos-stack.ts';
import { judgeIngest, maxGap, type IngestVerdict } from './chaos-verdict.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` is true; gives up at once on a crash, and names `what` and the processes' logs. */
export const until = (stack: ChaosStack, what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<true> =>
  eventually(async () => (await probe()) || undefined, {
    timeoutMs, intervalMs: 200,
    abort: () => (stack.crashes.length > 0 ? `crashed: ${stack.crashes.join(', ')}\n${stack.tails()}` : undefined),
    message: () => `${what}\n${stack.tails()}`,
  });

export async function admin(stack: ChaosStack, suffix: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.receiverUrl}/admin/webhook-connect/channels/${NS}/${CHANNEL}${suffix}`, { headers: { authorization: `Bearer ${stack.secrets.adminToken}` } });
  if (!res.ok) throw new Error(`admin ${suffix}: ${res.status}`);
  return await res.json() as Record<string, unknown>;
}
/** The receiver's record of one message's life (SPEC §4), for a failure message. */
export async function history(stack: ChaosStack, id: string): Promise<string> {
  const res = await fetch(`${stack.receiverUrl}/admin/webhook-connect/messages/${id}`, { headers: { authorization: `Bearer ${stack.secrets.adminToken}` } }).catch((err: Error) => err);
  return res instanceof Error ? `${id}: ${res.message}` : `${id}: ${res.status} ${await res.text()}`;
}
/** hookbridge_redeliveries_total of one subscription and reason, from the receiver's /metrics. */
export async function redeliveries(stack: ChaosStack, sub: string, reason: string): Promise<number> {
  const text = await (await fetch(`${stack.receiverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('hookbridge_redeliveries_total{') && l.includes(`subscription="${sub}"`) && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
/** Every subscription has a connected stream. */
export const connected = async (stack: ChaosStack): Promise<boolean> =>
  ((await admin(stack, '')).subscriptions as { stats: { connected_clients: number } }[]).every((s) => s.stats.connected_clients > 0);
export const ready = async (stack: ChaosStack): Promise<boolean> => (await fetch(`${stack.receiverUrl}/readyz`)).ok;
export interface DeadLetter { id: string; subscription: string; reason: string; attempts: number }
export const deadLetters = async (stack: ChaosStack): Promise<DeadLetter[]> => (await admin(stack, '/dead-letters?limit=1000')).deadLetters as DeadLetter[];
export const startConnectors = (stack: ChaosStack): void => { for (const { name } of SUBSCRIPTIONS) stack.startConnector(name); };

export interface Settled {
  ingest: IngestVerdict;
  accepted: Map<string, Outcome>;
  /** `<subscription> <id>` of 202'd messages neither delivered nor dead-lettered. */
  gone: string[];
  dead: DeadLetter[];
  /** Names of the run's credentials found in a log. */
  leaked: string[];
  /** Lines for t.diagnostic. */
  report: string[];
}

/** Stops the load, waits (up to drainTimeoutMs) for every 202'd id to arrive or be dead-lettered, and judges the run. */
export async function settle(stack: ChaosStack, dest: ChaosDestination, load: ChaosLoad, drainTimeoutMs: number): Promise<Settled> {
  await load.stop();
  const stoppedAt = Date.now();
  const ingest = judgeIngest(load.outcomes, stack.receiverDown);
  const accepted = new Map(ingest.accepted.map((o) => [o.id as string, o]));
  const missing = (): string[] => SUBSCRIPTIONS.flatMap(({ name }) => [...accepted.keys()].filter((id) => !dest.has(name, id)).map((id) => `${name} ${id}`));
  const deadKeys = (dead: DeadLetter[]): Set<string> => new Set(dead.map((d) => `${d.subscription.split('/')[1]} ${d.id}`));
  let dead: DeadLetter[] = [];
  const deadline = Date.now() + drainTimeoutMs;
  for (let lastDeadCheck = 0; missing().length > 0 && Date.now() < deadline; await sleep(250)) {
    if (Date.now() - lastDeadCheck < 5_000) continue;
    lastDeadCheck = Date.now();
    dead = await deadLetters(stack).catch(() => dead);
    const keys = deadKeys(dead);
    if (missing().every((k) => keys.has(k))) break;
  }
  const drainMs = Date.now() - stoppedAt;
  dead = await deadLetters(stack).catch(() => dead);
  const gone = missing().filter((k) => !deadKeys(dead).has(k));

  const logs = ['receiver' as const, ...SUBSCRIPTIONS.map(({ name }) => `connector-${name}` as const)].map((n) => stack.log(n)).join('\n');
  const leaked = Object.entries(stack.secrets).filter(([, value]) => logs.includes(value)).map(([name]) => name);
  const reasons = new Map<string, number>();
  for (const d of dead) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
  const report = [
    `posted ${load.outcomes.length}, 202 ${ingest.accepted.length}, refused ${JSON.stringify(Object.fromEntries(ingest.refused))}, violations ${ingest.violations.length}`,
    ...SUBSCRIPTIONS.map(({ name, transport }) => { const c = dest.counts(name); return `${name} (${transport}): ${c.distinct} distinct ids delivered, ${c.duplicates} duplicates`; }),
    `destination: ${dest.deliveredAt.length} deliveries answered 200, ${dest.refused503} answered 503`,
    `missing ${missing().length} (dead-lettered ${dead.length}: ${JSON.stringify(Object.fromEntries(reasons))}; silently gone ${gone.length}), drain ${drainMs} ms`,
    `max gap between 202s ${ingest.maxAcceptGapMs} ms, between deliveries ${maxGap(dest.deliveredAt)} ms; receiver outages ${stack.receiverDown.map((w) => `${w.to - w.from} ms`).join(', ') || 'none'}`,
  ];
  return { ingest, accepted, gone, dead, leaked, report };
}

/** The first few gone ids with when they were accepted and the receiver's history of them, for a failure message. */
export async function explainGone(stack: ChaosStack, s: Settled): Promise<string> {
  const first = s.gone.slice(0, 10).map((k) => { const o = s.accepted.get(k.split(' ')[1]); return `${k} (seq ${o?.seq}, 202 at ${new Date(o?.endedAt ?? 0).toISOString()})`; });
  const histories = await Promise.all(s.gone.slice(0, 3).map((k) => history(stack, k.split(' ')[1])));
  return `first: ${first.join(', ')}\nreceiver's history of them:\n${histories.join('\n')}\n${stack.tails()}`;
}
