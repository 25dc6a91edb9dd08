// `hookbridge listen`: an ad-hoc connector for a laptop, like `stripe listen` — one stream, deliveries
// forwarded to a local URL, one printed line per delivery. Same pipeline as the cluster connector.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags, usage, UsageError, type FlagSpec } from '../cli/flags.ts';
import { DeliverySpec, parseDuration } from '../shared/api/v1alpha1.ts';
import type { ConnectorConfig } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import { startConnector } from './connector.ts';
import type { DeliveryReport } from './delivery/deliver.ts';
import { signingProblem } from './delivery/signing.ts';
import { untilSignal } from './signals.ts';

const FLAGS = {
  receiver: { type: 'string', help: 'receiver base URL, e.g. https://hooks.example.com' },
  channel: { type: 'string', help: 'channel as NAMESPACE/NAME' },
  token: { type: 'string', help: 'subscription stream token (prefer --token-file or $HOOKBRIDGE_TOKEN)' },
  'token-file': { type: 'string', help: 'file holding the token; re-read when it changes' },
  'forward-to': { type: 'string', help: 'local URL each message is POSTed to' },
  transport: { type: 'string', default: 'websocket', help: 'websocket or sse' },
  'signing-secret': { type: 'string', help: 'whsec_ secret to sign with (generated and printed when absent)' },
  scheme: { type: 'string', default: 'standard-webhooks', help: 'standard-webhooks or hmac-sha256' },
  concurrency: { type: 'number', default: 10, help: 'deliveries in flight' },
  timeout: { type: 'number', default: 10, help: 'seconds per delivery attempt' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

export const generateSigningSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export function formatReport(r: DeliveryReport, now = new Date()): string {
  const what = r.status !== undefined ? String(r.status) : r.outcome === 'duplicate' ? 'dup' : 'ERR';
  const tail = r.outcome === 'retry' ? `  retry in ${Math.round((r.delayMs ?? 0) / 1000)}s: ${r.reason}`
    : r.outcome === 'dead' ? `  dead: ${r.reason}` : '';
  return `${now.toISOString()}  ${r.id}  ${(r.eventType ?? '-').padEnd(16)} → ${what.padEnd(3)} ${Math.round(r.latencyMs)}ms  (attempt ${r.attempt})${tail}\n`;
}

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(FLAGS, argv);
  if (f.help) { process.stdout.write(usage('listen', 'forward a channel\'s messages to a local URL', FLAGS)); return; }
  if (!f.receiver) throw new UsageError('--receiver URL is required');
  const [ns, name, ...rest] = (f.channel ?? '').split('/');
  if (!ns || !name || rest.length > 0) throw new UsageError('--channel NAMESPACE/NAME is required');
  if (!f['forward-to'] || !URL.canParse(f['forward-to'])) throw new UsageError('--forward-to URL is required');
  if (!f.token && !f['token-file']) throw new UsageError('--token or --token-file is required');
  if (f.transport !== 'websocket' && f.transport !== 'sse') throw new UsageError('--transport must be websocket or sse');
  if (f.scheme !== 'standard-webhooks' && f.scheme !== 'hmac-sha256') throw new UsageError('--scheme must be standard-webhooks or hmac-sha256');
  const badSecret = f['signing-secret'] === undefined ? undefined : signingProblem(f.scheme, [f['signing-secret']]);
  if (badSecret) throw new UsageError(`--signing-secret: ${badSecret}`);

  const dir = mkdtempSync(join(tmpdir(), 'hookbridge-listen-'));
  const secret = f['signing-secret'] ?? generateSigningSecret();
  writeFileSync(join(dir, 'signing'), secret, { mode: 0o600 });
  const tokenFile = f['token-file'] ? resolve(f['token-file']) : join(dir, 'token');
  if (!f['token-file']) writeFileSync(tokenFile, f.token as string, { mode: 0o600 });

  const d = DeliverySpec.parse({});
  const config: ConnectorConfig = {
    receiverUrl: f.receiver,
    transport: f.transport,
    subscriptions: [{
      namespace: ns, name: 'listen', channel: { namespace: ns, name }, tokenFile,
      destination: { url: f['forward-to'] },
      delivery: {
        timeoutMs: f.timeout * 1000, maxAttempts: d.retry.maxAttempts, retryScheduleMs: d.retry.schedule.map(parseDuration),
        jitter: d.retry.jitter, concurrency: f.concurrency, ordering: 'none',
      },
      signing: { scheme: f.scheme, secretFiles: [join(dir, 'signing')] },
    }],
  };
  const logger = createLogger({ name: 'listen', level: process.env.HOOKBRIDGE_LOG_LEVEL ?? 'warn', destination: process.stderr });
  process.stdout.write(`Forwarding ${ns}/${name} from ${f.receiver} to ${f['forward-to']}\n`);
  if (!f['signing-secret']) process.stdout.write(`Your webhook signing secret is ${secret} (^C to quit)\n`);
  const connector = await startConnector({
    config, secretsDir: dir, logger, registry: createRegistry({ defaults: false }),
    onDelivery: (r) => process.stdout.write(formatReport(r)),
  });
  await untilSignal(async () => {
    await connector.close(5000);
    rmSync(dir, { recursive: true, force: true });
  });
}
