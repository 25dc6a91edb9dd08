// `hookbridge messages list|show`: what happened to a channel's messages, over the admin API.
//   list  --channel NS/NAME [--subscription S] [--state S] [--event-type T] [--since T] [--until T] [--limit N] [--cursor C]
//         one row per message and subscription: received, id, event type, state, attempts, last error
//   show  ID   a message's life: routed subscriptions, each attempt (time, status, latency, error), final state
import { parseFlags, usage, UsageError, type FlagSpec } from '../shared/process/flags.ts';
import { ADMIN_FLAGS, adminClient, channelPath, outputMode, query, stdio, type Io } from './admin-client.ts';
import { shortTime, table } from './table.ts';

const FLAGS = {
  channel: { type: 'string', help: 'channel as NAMESPACE/NAME (list)' },
  subscription: { type: 'string', help: 'only this subscription (NAME in the channel\'s namespace, or NAMESPACE/NAME)' },
  state: { type: 'string', help: 'pending, in_flight, retrying, delivered, dead_lettered or expired' },
  'event-type': { type: 'string', help: 'event type, exact or a glob such as invoice.*' },
  since: { type: 'string', help: 'received at or after (ISO time or epoch ms)' },
  until: { type: 'string', help: 'received before (ISO time or epoch ms)' },
  limit: { type: 'number', default: 50, help: 'messages per page (1-1000)' },
  cursor: { type: 'string', help: 'the page after this cursor (printed under a full page)' },
  ...ADMIN_FLAGS,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

const SUMMARY = 'list a channel\'s messages (list --channel NS/NAME) or show one message\'s life (show ID)';

interface SubRow { state: string; attempts: number; lastAttemptAt?: string; lastStatusCode?: number; lastError?: string; reason?: string }
interface ListRow { id: string; receivedAt: string; eventType: string | null; subscriptions: Record<string, SubRow> }
interface Attempt { at: string; attempt: number; statusCode?: number; latencyMs?: number; error?: string }
interface History { id: string; channel: string; receivedAt: string; routed: string[]; subscriptions: Record<string, { state: string; reason?: string; attempts: Attempt[] }> }

export async function run(argv: string[], io: Io = stdio()): Promise<void> {
  const f = parseFlags(FLAGS, argv);
  const [verb, ...args] = f._;
  if (f.help || !verb) { io.out(usage('messages list|show', SUMMARY, FLAGS)); return; }
  const mode = outputMode(f.output, io.isTTY);
  const admin = adminClient(f);
  if (verb === 'list') {
    const page = await admin.call<{ messages: ListRow[]; next: string | null }>('GET', `${channelPath(f.channel)}/messages${query({
      subscription: f.subscription, state: f.state, eventType: f['event-type'], since: f.since, until: f.until, limit: f.limit, cursor: f.cursor,
    })}`);
    if (mode === 'json') { io.out(`${JSON.stringify(page, null, 2)}\n`); return; }
    const rows = page.messages.flatMap((m) => Object.entries(m.subscriptions)
      .filter(([sub]) => !f.subscription || sub === f.subscription || sub.endsWith(`/${f.subscription}`))
      .map(([sub, s]) => [shortTime(m.receivedAt), m.id, m.eventType, sub, s.state, s.attempts, s.lastStatusCode, s.lastError ?? s.reason]));
    io.out(rows.length === 0 ? 'No messages.\n' : table(['RECEIVED', 'ID', 'EVENT TYPE', 'SUBSCRIPTION', 'STATE', 'ATTEMPTS', 'LAST STATUS', 'LAST ERROR'], rows));
    if (page.next) io.out(`\nMore: add --cursor ${page.next}\n`);
    return;
  }
  if (verb === 'show') {
    const id = args[0];
    if (!id) throw new UsageError('show needs a message ID');
    const h = await admin.call<History>('GET', `/messages/${encodeURIComponent(id)}`);
    if (mode === 'json') { io.out(`${JSON.stringify(h, null, 2)}\n`); return; }
    io.out(`Message:   ${h.id}\nChannel:   ${h.channel}\nReceived:  ${shortTime(h.receivedAt)}\nRouted to: ${h.routed.length > 0 ? h.routed.join(', ') : '(no subscription matched: not queued)'}\n`);
    for (const [sub, s] of Object.entries(h.subscriptions)) {
      io.out(`\n${sub}: ${s.state}${s.reason ? ` (${s.reason})` : ''}\n`);
      if (s.attempts.length > 0) {
        io.out(table(['ATTEMPT', 'AT', 'STATUS', 'LATENCY', 'ERROR'], s.attempts.map((a) => [
          a.attempt, shortTime(a.at), a.statusCode, a.latencyMs === undefined ? undefined : `${Math.round(a.latencyMs)}ms`, a.error,
        ])).replace(/^/gm, '  '));
      }
    }
    return;
  }
  throw new UsageError(`unknown messages command ${JSON.stringify(verb)}: list or show`);
}
