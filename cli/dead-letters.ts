// `hookbridge dead-letters list|peek|redrive|purge --channel NS/NAME`: the dead-letter queue of a channel,
// over the admin API — across its subscriptions, or one with --subscription.
//   list               [--since T] [--until T] [--reason TEXT] [--event-type T] [--limit N]
//   peek ID            one dead letter with its headers and body
//   redrive ID | --all | filters     back to the subscription queue, attempts start again
//   purge   ID | --all | filters     gone for good
import { parseFlags, usage, UsageError, type FlagSpec } from '../shared/process/flags.ts';
import { ADMIN_FLAGS, adminClient, channelPath, outputMode, query, stdio, type Io } from './admin-client.ts';
import { shortTime, table } from './table.ts';

const FLAGS = {
  channel: { type: 'string', help: 'channel as NAMESPACE/NAME' },
  subscription: { type: 'string', help: 'only this subscription (NAME in the channel\'s namespace, or NAMESPACE/NAME)' },
  since: { type: 'string', help: 'dead-lettered at or after (ISO time or epoch ms)' },
  until: { type: 'string', help: 'dead-lettered before (ISO time or epoch ms)' },
  reason: { type: 'string', help: 'reason contains this text' },
  'event-type': { type: 'string', help: 'event type' },
  all: { type: 'boolean', help: 'redrive or purge every dead letter (of --subscription, if given)' },
  limit: { type: 'number', default: 100, help: 'at most this many (list; 1-1000)' },
  ...ADMIN_FLAGS,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

const SUMMARY = 'list, peek, redrive and purge a channel\'s dead letters';

interface DeadLetter {
  id: string; subscription: string; reason: string; deadLetteredAt: string; attempts: number;
  lastResult?: { statusCode?: number; latencyMs?: number; error?: string };
  message: { receivedAt: string; eventType?: string; contentType?: string; headers: Record<string, string>; size: number; body: string };
}

const printable = (b: Buffer): boolean => Buffer.from(b.toString('utf8'), 'utf8').equals(b) && ![...b].some((c) => c < 0x09 || (c > 0x0d && c < 0x20));

export async function run(argv: string[], io: Io = stdio()): Promise<void> {
  const f = parseFlags(FLAGS, argv);
  const [verb, id] = f._;
  if (f.help || !verb) { io.out(usage('dead-letters list|peek|redrive|purge', SUMMARY, FLAGS)); return; }
  const mode = outputMode(f.output, io.isTTY);
  const admin = adminClient(f);
  const base = `${channelPath(f.channel)}/dead-letters`;
  const sub = f.subscription;
  const print = (json: unknown, text: () => string) => io.out(mode === 'json' ? `${JSON.stringify(json, null, 2)}\n` : text());

  switch (verb) {
    case 'list': {
      const r = await admin.call<{ deadLetters: DeadLetter[] }>('GET', base + query({
        subscription: sub, since: f.since, until: f.until, reason: f.reason, eventType: f['event-type'], limit: f.limit,
      }));
      print(r, () => (r.deadLetters.length === 0 ? 'No dead letters.\n' : table(
        ['DEAD-LETTERED', 'ID', 'SUBSCRIPTION', 'EVENT TYPE', 'ATTEMPTS', 'LAST STATUS', 'REASON'],
        r.deadLetters.map((d) => [shortTime(d.deadLetteredAt), d.id, d.subscription, d.message.eventType, d.attempts, d.lastResult?.statusCode, d.reason]),
      )));
      return;
    }
    case 'peek': {
      if (!id) throw new UsageError('peek needs a message ID');
      const d = await admin.call<DeadLetter>('GET', `${base}/${encodeURIComponent(id)}${query({ subscription: sub })}`);
      print(d, () => {
        const body = Buffer.from(d.message.body, 'base64');
        const headers = Object.entries(d.message.headers).map(([k, v]) => `  ${k}: ${v}`).join('\n');
        return `Message:       ${d.id}\nSubscription:  ${d.subscription}\nDead-lettered: ${shortTime(d.deadLetteredAt)}\nReason:        ${d.reason}\n`
          + `Attempts:      ${d.attempts}${d.lastResult ? ` (last: ${d.lastResult.statusCode ?? '-'}${d.lastResult.error ? `, ${d.lastResult.error}` : ''})` : ''}\n`
          + `Received:      ${shortTime(d.message.receivedAt)}\nEvent type:    ${d.message.eventType ?? '-'}\nHeaders:\n${headers || '  (none)'}\n`
          + `Body (${d.message.size} bytes${d.message.contentType ? `, ${d.message.contentType}` : ''}):\n${printable(body) ? body.toString('utf8') : `(binary, base64) ${d.message.body}`}\n`;
      });
      return;
    }
    case 'redrive':
    case 'purge': {
      const filter = { ...(f.since && { since: f.since }), ...(f.until && { until: f.until }), ...(f.reason && { reason: f.reason }), ...(f['event-type'] && { eventType: f['event-type'] }) };
      if (!id && !f.all && Object.keys(filter).length === 0) throw new UsageError(`${verb} needs a message ID, --all, or a filter (--since, --until, --reason, --event-type)`);
      if (id && (f.all || Object.keys(filter).length > 0)) throw new UsageError(`${verb}: give a message ID or --all/filters, not both`);
      const r = id
        ? await admin.call<{ redriven?: number; purged?: number }>(verb === 'redrive' ? 'POST' : 'DELETE', `${base}/${encodeURIComponent(id)}${verb === 'redrive' ? '/redrive' : ''}${query({ subscription: sub })}`)
        : await admin.call<{ redriven?: number; purged?: number }>('POST', `${base}/${verb}`, { ...filter, ...(f.all && { all: true }), ...(sub && { subscription: sub }) });
      print(r, () => (verb === 'redrive' ? `Redriven: ${r.redriven ?? 0}\n` : `Purged: ${r.purged ?? 0}\n`));
      return;
    }
    default:
      throw new UsageError(`unknown dead-letters command ${JSON.stringify(verb)}: list, peek, redrive or purge`);
  }
}
