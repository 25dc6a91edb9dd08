#!/usr/bin/env node
// `hookbridge <subcommand>`: wiring only. Each subcommand lives with its component and exports run(argv).
import { AdminError } from './admin-client.ts';
import { UsageError } from '../shared/process/flags.ts';
import { packageVersion } from './version.ts';

const commands: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<void> }> }> = {
  receiver: { summary: 'public ingest + connector streams on RabbitMQ (or memory)', load: () => import('../receiver/main.ts') },
  connector: { summary: 'dial out to the receiver and deliver to destinations', load: () => import('../connector/main.ts') },
  listen: { summary: 'a connector on your laptop, like stripe listen: --subscription NS/NAME --forward-to URL', load: () => import('../connector/listen.ts') },
  operator: { summary: 'reconcile WebhookChannel and Subscription resources', load: () => import('../operator/main.ts') },
  dev: { summary: 'receiver + connectors + embedded buffer in one process, from manifests (-f DIR)', load: () => import('./dev.ts') },
  messages: { summary: 'on call: list a channel\'s messages (state, attempts, last error) or show one\'s life, over the admin API', load: () => import('./messages.ts') },
  'dead-letters': { summary: 'on call: list, peek, redrive and purge a channel\'s dead letters, over the admin API', load: () => import('./dead-letters.ts') },
  echo: { summary: 'a destination that prints what it receives (for demos)', load: () => import('./echo.ts') },
};

function help(): string {
  const rows = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(13)} ${c.summary}`);
  return `hookbridge — relay webhooks into private Kubernetes namespaces\n\nUsage: hookbridge <command> [flags]   (hookbridge <command> --help, hookbridge --version)\n\n${rows.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { process.stdout.write(help()); return; }
  if (name === '--version' || name === '-v' || name === 'version') { process.stdout.write(`hookbridge ${packageVersion()}\n`); return; }
  const cmd = commands[name];
  if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(name)}\n\n${help()}`);
  const mod = await cmd.load();
  await mod.run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) { console.error(`hookbridge: ${err.message}`); process.exit(2); }
  if (err instanceof AdminError) { console.error(`hookbridge: ${err.message}`); process.exit(1); }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
