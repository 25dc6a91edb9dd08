// `hookbridge dev -f DIR`: the whole relay on a laptop — MemoryBuffer + receiver + one connector per
// namespace in one process, configured from the same manifests you would `kubectl apply`. Manifests are
// read with shared/api/manifests.ts and served by the receiver's standalone loader
// (receiver/config/file-source.ts), connectors compiled with shared/api/compile.ts exactly as the operator
// does; edits to the files are applied live.
import { compileConnector, destinationUrl, objectKey, secretFilePath, signingSecretName } from '../shared/api/compile.ts';
import { tokenSecretName } from '../shared/api/v1alpha1.ts';
import { keyOf, type Transport } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import { mintSigningSecret } from '../shared/standard-webhooks.ts';
import { MemoryBuffer } from '../receiver/buffer/memory/index.ts';
import { ManifestSource } from '../receiver/config/file-source.ts';
import { parseManifests, readManifestFiles } from '../shared/api/manifests.ts';
import { startReceiver } from '../receiver/server.ts';
import { startConnector, type RunningConnector } from '../connector/connector.ts';
import { untilSignal } from '../shared/process/signals.ts';
import { DevSecretsDir } from '../connector/secrets-dir.ts';
import { parseFlags, usage, UsageError, type FlagSpec } from '../shared/process/flags.ts';

const FLAGS = {
  file: { type: 'list', short: 'f', help: 'manifest file or folder (WebhookChannel, Subscription, Secret YAML); repeatable' },
  port: { type: 'number', default: 8080, help: 'receiver port' },
  host: { type: 'string', default: '127.0.0.1', help: 'receiver address (0.0.0.0 to accept from other machines)' },
  'admin-token': { type: 'string', help: 'bearer token for the admin API (disabled without one)' },
  transport: { type: 'string', default: 'websocket', help: 'connector transport: websocket or sse' },
  'service-host': {
    type: 'string', default: '127.0.0.1',
    help: 'where a Subscription\'s destination.service is delivered (a laptop has no cluster DNS): SCHEME://HOST:PORT/PATH with the Service\'s port and path',
  },
  connectors: { type: 'boolean', default: true, help: 'run the Subscriptions\' connectors (--connectors=false: receiver only, for `hookbridge listen`)' },
  'log-level': { type: 'string', default: 'info', help: 'trace, debug, info, warn, error' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(FLAGS, argv);
  if (f.help) { process.stdout.write(usage('dev', 'receiver + connectors + embedded buffer in one process, from manifests', FLAGS)); return; }
  const paths = [...f.file, ...f._];
  if (paths.length === 0) throw new UsageError('give -f FILE|DIR with WebhookChannel and Subscription manifests');
  if (f.transport !== 'websocket' && f.transport !== 'sse') throw new UsageError('--transport must be websocket or sse');
  let initial: ReturnType<typeof parseManifests>;
  try { initial = parseManifests(readManifestFiles(paths)); } catch (err) { throw new UsageError(`reading manifests: ${(err as Error).message}`); }
  const local = { serviceHost: f['service-host'] };

  const logger = createLogger({ name: 'dev', level: f['log-level'] });
  const registry = createRegistry();
  const buffer = new MemoryBuffer();
  const rx = await startReceiver({ buffer, port: f.port, host: f.host, adminToken: f['admin-token'], logger, registry });
  const secrets = new DevSecretsDir();
  const connectors = new Map<string, RunningConnector>();
  const generated = new Map<string, string>(); // signing secrets made up for Subscriptions without one

  const syncConnectors = async () => {
    const compiled = files.current;
    if (!compiled || !f.connectors) return;
    const set = parseManifests(readManifestFiles(paths));
    const bound = new Map(compiled.tokens.map((t) => [keyOf(t.subscription), t.token]));
    const subs = set.subscriptions.filter((s) => bound.has(`${s.metadata.namespace}/${s.metadata.name}`));
    const byNs = new Map<string, typeof subs>();
    for (const s of subs) byNs.set(s.metadata.namespace ?? 'default', [...(byNs.get(s.metadata.namespace ?? 'default') ?? []), s]);
    for (const [ns, list] of byNs) {
      for (const s of list) {
        const key = `${ns}/${s.metadata.name}`;
        secrets.write(ns, secretFilePath(tokenSecretName(s.metadata.name), 'token'), bound.get(key) as string);
        const ref = s.spec.signing.secretRef ?? { name: signingSecretName(s.metadata.name), key: 'secret' };
        let value = set.secrets.get(`${ns}/${ref.name}`)?.[ref.key];
        if (!value) {
          value = generated.get(key) ?? mintSigningSecret();
          if (!generated.has(key)) {
            generated.set(key, value);
            process.stderr.write(`hookbridge dev: Subscription ${key} signs with a generated secret (shown once): ${value}\n`);
          }
        }
        secrets.write(ns, secretFilePath(ref.name, ref.key), value);
      }
      const config = compileConnector(rx.url, list, f.transport as Transport, undefined, local);
      const running = connectors.get(ns);
      if (running) await running.update(config);
      else connectors.set(ns, await startConnector({ config, secretsDir: secrets.namespaceDir(ns), logger, registry }));
    }
    for (const [ns, c] of connectors) if (!byNs.has(ns)) { connectors.delete(ns); await c.close(); }
  };

  const files: ManifestSource = new ManifestSource({
    paths, logger,
    // The source records the compiled manifests (tokens included) right after apply resolves.
    apply: async (cfg) => { await rx.applyConfig(cfg); setImmediate(() => { syncConnectors().catch((err: Error) => logger.error({ err: err.message }, 'connector config not applied')); }); },
    onMinted: (t) => process.stderr.write(`hookbridge dev: minted a stream token for ${keyOf(t.subscription)} (shown once; add a ${tokenSecretName(t.subscription.name)} Secret to keep one): ${t.token}\n`),
  });
  try {
    await files.start();
  } catch (err) {
    await rx.close();
    await buffer.close();
    secrets.remove();
    throw new UsageError(`reading manifests: ${(err as Error).message}`);
  }

  const compiled = files.current;
  process.stdout.write(`\nhookbridge dev: receiver on ${rx.url} (memory buffer; nothing survives a restart)\n`);
  for (const ch of compiled?.config.channels ?? []) {
    process.stdout.write(`  POST ${rx.url}/webhook/${ch.namespace}/${ch.name}  → ${ch.subscriptions.map((s) => keyOf(s)).join(', ') || '(no subscriptions)'}\n`);
  }
  const subscriptions = new Map(initial.subscriptions.map((s) => [keyOf(objectKey(s)), s]));
  for (const t of compiled?.tokens ?? []) {
    const sub = subscriptions.get(keyOf(t.subscription));
    process.stdout.write(f.connectors ? `  ${keyOf(t.subscription)} delivers to ${(sub && destinationUrl(sub, local)) ?? t.destination}\n`
      : `  ${keyOf(t.subscription)}: no connector (--connectors=false); hookbridge listen --receiver ${rx.url} --subscription ${keyOf(t.subscription)} ${paths.map((p) => `-f ${p}`).join(' ')} --token …\n`);
  }
  process.stdout.write('Ctrl-C to stop.\n\n');

  await untilSignal(async (signal) => {
    logger.info({ signal }, 'shutting down: finishing in-flight deliveries');
    files.close();
    await Promise.all([...connectors.values()].map((c) => c.close(5000)));
    await rx.close();
    await buffer.close();
    secrets.remove();
  });
}
