// The child side of the bench's IPC: announce readiness, answer the orchestrator's requests, and exit
// when the orchestrator goes away (so no bench process outlives a run).
type Handler = (msg: Record<string, unknown>) => unknown;

const handlers = new Map<string, Handler>();
process.on('message', (m: unknown) => {
  const msg = m as Record<string, unknown> & { type?: string };
  const h = msg?.type ? handlers.get(msg.type) : undefined;
  if (!h) return;
  Promise.resolve()
    .then(() => h(msg))
    .then((reply) => process.send?.({ type: `${msg.type}:ok`, ...(reply as object) }))
    .catch((err: unknown) => process.send?.({ type: `${msg.type}:ok`, error: String(err) }));
});
process.on('disconnect', () => process.exit(0));

export function ready(info: Record<string, unknown> = {}): void { process.send?.({ type: 'ready', ...info }); }

/** Answers `{type}` messages with `{type: "<type>:ok", ...reply}`. */
export function handle(type: string, h: Handler): void { handlers.set(type, h); }

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}
