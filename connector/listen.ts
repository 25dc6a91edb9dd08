// `hookbridge listen`: an ad-hoc connector for a laptop, like `stripe listen` — one stream, deliveries
// forwarded to a local URL, one line per delivery (JSON when stdout is not a terminal). Same pipeline as
// the cluster connector. `--subscription NS/NAME` takes the token, signing secret, retry policy and
// transform from the Subscription (cluster via the kubeconfig, or manifests with -f); flags override.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags, usage, UsageError, type FlagSpec } from '../shared/process/flags.ts';
import { channelKeyOf, compileConnectorSubscription, destinationUrl } from '../shared/api/compile.ts';
import { DeliverySpec, parseDuration } from '../shared/api/v1alpha1.ts';
import type { ConnectorConfig, ConnectorSubscription } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import { startConnector } from './connector.ts';
import { signingProblem } from '../shared/signing.ts';
import { mintSigningSecret } from '../shared/standard-webhooks.ts';
import { formatJson, formatLine } from './listen-output.ts';
import { fromCluster, fromManifests, type ListenSource } from './listen-source.ts';
import { untilSignal } from '../shared/process/signals.ts';

const FLAGS = {
  subscription: { type: 'string', help: 'take token, signing secret, retry policy and transform from this Subscription (NAMESPACE/NAME)' },
  file: { type: 'list', short: 'f', help: 'with --subscription: read it from these manifests instead of the cluster' },
  kubeconfig: { type: 'string', help: 'kubeconfig for --subscription (default $KUBECONFIG or ~/.kube/config)' },
  receiver: { type: 'string', help: 'receiver base URL, e.g. https://hooks.example.com (default: the channel\'s status.url)' },
  channel: { type: 'string', help: 'channel as NAMESPACE/NAME (default: the Subscription\'s channelRef)' },
  token: { type: 'string', help: 'subscription stream token (prefer --token-file or $HOOKBRIDGE_TOKEN)' },
  'token-file': { type: 'string', help: 'file holding the token; re-read when it changes' },
  'forward-to': { type: 'string', help: 'local URL each message is POSTed to' },
  transport: { type: 'string', default: 'websocket', help: 'websocket or sse' },
  'signing-secret': { type: 'string', help: 'secret to sign with (default: the Subscription\'s; else generated and printed)' },
  scheme: { type: 'string', help: 'standard-webhooks or hmac-sha256 (default: the Subscription\'s, else standard-webhooks)' },
  concurrency: { type: 'number', help: 'deliveries in flight (default: the Subscription\'s, else 10)' },
  timeout: { type: 'number', help: 'seconds per delivery attempt (default: the Subscription\'s, else 10)' },
  output: { type: 'string', short: 'o', default: 'auto', help: 'text (a line per delivery), json (an object per line), auto: text on a terminal' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

function objectKey(text: string | undefined, flag: string): { namespace: string; name: string } | undefined {
  if (text === undefined) return undefined;
  const [namespace, name, ...rest] = text.split('/');
  if (!namespace || !name || rest.length > 0) throw new UsageError(`${flag} must be NAMESPACE/NAME, got ${JSON.stringify(text)}`);
  return { namespace, name };
}

async function loadSource(f: { subscription?: string; file: string[]; kubeconfig?: string }): Promise<ListenSource | undefined> {
  const key = objectKey(f.subscription, '--subscription');
  if (!key) return undefined;
  try {
    return f.file.length > 0 ? fromManifests(f.file, key) : await fromCluster(key, f.kubeconfig);
  } catch (err) {
    throw new UsageError(`--subscription ${f.subscription}: ${(err as Error).message}`);
  }
}

function delivery(src: ListenSource | undefined, concurrency: number | undefined, timeout: number | undefined): ConnectorSubscription['delivery'] {
  const d = DeliverySpec.parse({});
  const base: ConnectorSubscription['delivery'] = src ? compileConnectorSubscription(src.subscription).delivery : {
    timeoutMs: d.timeoutSeconds * 1000, maxAttempts: d.retry.maxAttempts, retryScheduleMs: d.retry.schedule.map(parseDuration),
    jitter: d.retry.jitter, concurrency: d.concurrency, ordering: 'none',
  };
  return { ...base, ...(concurrency !== undefined && { concurrency }), ...(timeout !== undefined && { timeoutMs: timeout * 1000 }) };
}

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(FLAGS, argv);
  if (f.help) { process.stdout.write(usage('listen', 'forward a channel\'s messages to a local URL', FLAGS)); return; }
  const concurrency = f.concurrency as number | undefined;
  const timeout = f.timeout as number | undefined;
  if (f.output !== 'auto' && f.output !== 'text' && f.output !== 'json') throw new UsageError('--output must be auto, text or json');
  if (f.transport !== 'websocket' && f.transport !== 'sse') throw new UsageError('--transport must be websocket or sse');
  const src = await loadSource(f);
  const sub = src?.subscription;

  const receiver = f.receiver ?? src?.receiverUrl;
  if (!receiver) throw new UsageError(src ? '--receiver URL is required (the channel has no status.url I can read)' : '--receiver URL is required');
  const channel = objectKey(f.channel, '--channel') ?? (sub && channelKeyOf(sub));
  if (!channel) throw new UsageError('--channel NAMESPACE/NAME is required (or --subscription NAMESPACE/NAME)');
  // A manifest's destination URL is one the laptop can reach; a cluster's Service is not.
  const forwardTo = f['forward-to'] ?? (sub && f.file.length > 0 ? destinationUrl(sub) : undefined);
  if (!forwardTo || !URL.canParse(forwardTo)) throw new UsageError('--forward-to URL is required');
  if (!f.token && !f['token-file'] && !src?.token) {
    throw new UsageError(src ? `--token is required: Subscription ${f.subscription} has no token Secret readable from ${src.from}` : '--token or --token-file is required');
  }
  const scheme = f.scheme ?? sub?.spec.signing.scheme ?? 'standard-webhooks';
  if (scheme !== 'standard-webhooks' && scheme !== 'hmac-sha256') throw new UsageError('--scheme must be standard-webhooks or hmac-sha256');
  const secret = f['signing-secret'] ?? src?.signingSecret ?? mintSigningSecret();
  const badSecret = signingProblem(scheme, [secret]);
  if (badSecret) throw new UsageError(`${f['signing-secret'] !== undefined ? '--signing-secret' : 'signing secret'}: ${badSecret}`);

  const dir = mkdtempSync(join(tmpdir(), 'hookbridge-listen-'));
  writeFileSync(join(dir, 'signing'), secret, { mode: 0o600 });
  const tokenFile = f['token-file'] ? resolve(f['token-file']) : join(dir, 'token');
  if (!f['token-file']) writeFileSync(tokenFile, (f.token ?? src?.token) as string, { mode: 0o600 });

  const config: ConnectorConfig = {
    receiverUrl: receiver,
    transport: f.transport,
    subscriptions: [{
      namespace: sub?.metadata.namespace ?? channel.namespace, name: sub?.metadata.name ?? 'listen', channel, tokenFile,
      destination: { url: forwardTo },
      delivery: delivery(src, concurrency, timeout),
      signing: { scheme, secretFiles: [join(dir, 'signing')] },
      ...(sub?.spec.transform && { transform: sub.spec.transform }),
    }],
  };
  const json = f.output === 'json' || (f.output === 'auto' && !process.stdout.isTTY);
  const logger = createLogger({ name: 'listen', level: process.env.HOOKBRIDGE_LOG_LEVEL ?? 'warn', destination: process.stderr });
  // The banner goes to stderr: stdout carries only the deliveries (pipe it to jq).
  const say = (text: string) => { process.stderr.write(text); };
  say(`Forwarding ${channel.namespace}/${channel.name} from ${receiver} to ${forwardTo}${src ? ` as Subscription ${f.subscription} (from ${src.from})` : ''}\n`);
  if (f['signing-secret']) say(`Signing with the --signing-secret given (${scheme})\n`);
  else if (src?.signingSecret) say(`Signing with Subscription ${f.subscription}'s secret (${scheme})\n`);
  else say(`Your webhook signing secret is ${secret} (${scheme})\n`);
  say('Ready. ^C to stop (in-flight deliveries finish first).\n');

  const connector = await startConnector({
    config, secretsDir: dir, logger, registry: createRegistry({ defaults: false }),
    onDelivery: (r) => process.stdout.write(json ? formatJson(r) : formatLine(r)),
  });
  const drainMs = config.subscriptions[0].delivery.timeoutMs + 2000;
  await untilSignal(async () => {
    say(`Stopping: finishing deliveries in flight (up to ${Math.ceil(drainMs / 1000)}s; ^C again to quit now)\n`);
    await connector.close(drainMs);
    rmSync(dir, { recursive: true, force: true });
    say('Stopped.\n');
  });
}
