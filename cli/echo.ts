// `hookbridge echo`: a destination for demos and tests (seed 002's test receiver): prints each request's
// method, path, headers and body, verifies signatures when given the secret, and can fail on purpose
// (--fail-rate), be slow (--delay-ms) or always answer one status (--status).
import { createServer, type IncomingMessage } from 'node:http';
import { parseFlags, usage, UsageError, type FlagSpec } from '../shared/process/flags.ts';
import { untilSignal } from '../shared/process/signals.ts';
import { hmacSignature } from '../shared/signing.ts';
import { verifyWithSecrets } from '../shared/standard-webhooks.ts';
import { closeNow, listen } from '../shared/process/listen.ts';

const FLAGS = {
  port: { type: 'number', default: 9000, help: 'port to listen on' },
  host: { type: 'string', default: '127.0.0.1', help: 'address to bind' },
  'fail-rate': { type: 'number', default: 0, help: 'fraction of requests answered 500 (0..1; 1..100 read as percent)' },
  'delay-ms': { type: 'number', default: 0, help: 'wait this long before answering' },
  status: { type: 'number', default: 200, help: 'status for requests that do not fail' },
  secret: { type: 'string', help: 'signing secret (whsec_… or the hmac-sha256 secret) to verify signatures' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

export interface EchoOptions { port: number; host?: string; failRate?: number; delayMs?: number; status?: number; secret?: string; out?: (text: string) => void; random?: () => number }

const printable = (b: Buffer): boolean => {
  const text = b.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(b)) return false;
  for (const byte of b) if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) return false;
  return true;
};

export function describeSignature(secret: string | undefined, h: IncomingMessage['headers'], body: Buffer, now = Date.now()): string | undefined {
  if (!secret) return undefined;
  if (h['webhook-signature']) {
    const v = verifyWithSecrets([secret], h, body, now);
    return v.ok ? 'signature: ✓ valid (standard-webhooks)' : `signature: ✗ INVALID (standard-webhooks: ${v.reason})`;
  }
  const x = h['x-signature'];
  if (typeof x === 'string') {
    const ok = x.split(',').map((s) => s.trim()).includes(hmacSignature(secret, body));
    return ok ? 'signature: ✓ valid (hmac-sha256)' : 'signature: ✗ INVALID (hmac-sha256)';
  }
  return 'signature: ✗ missing';
}

export async function startEcho(o: EchoOptions): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const out = o.out ?? ((t: string) => { process.stdout.write(t); });
  const failRate = (o.failRate ?? 0) > 1 ? (o.failRate ?? 0) / 100 : (o.failRate ?? 0);
  const random = o.random ?? Math.random;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fail = random() < failRate;
      const status = fail ? 500 : (o.status ?? 200);
      const lines = [`── ${req.method} ${req.url}  ${new Date().toISOString()}  (${body.length} bytes)`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i].toLowerCase()}: ${req.rawHeaders[i + 1]}`);
      lines.push('');
      lines.push(body.length === 0 ? '(empty body)' : printable(body) ? body.toString('utf8') : `(binary body, base64) ${body.toString('base64')}`);
      const sig = describeSignature(o.secret, req.headers, body);
      if (sig) lines.push(sig);
      lines.push(`← ${status}${fail ? ' (--fail-rate)' : ''}`, '');
      const answer = () => {
        out(lines.join('\n') + '\n');
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true, bytes: body.length }));
      };
      if (o.delayMs) setTimeout(answer, o.delayMs); else answer();
    });
  });
  const port = await listen(server, o.port, o.host ?? '127.0.0.1');
  const host = o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => closeNow(server),
  };
}

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(FLAGS, argv);
  if (f.help) { process.stdout.write(usage('echo', 'a destination that prints what it receives', FLAGS)); return; }
  if (f['fail-rate'] < 0 || f['fail-rate'] > 100) throw new UsageError('--fail-rate must be between 0 and 1 (or a percentage)');
  const echo = await startEcho({ port: f.port, host: f.host, failRate: f['fail-rate'], delayMs: f['delay-ms'], status: f.status, secret: f.secret });
  process.stdout.write(`hookbridge echo listening on ${echo.url}${f.secret ? ' (verifying signatures)' : ''}\n`);
  await untilSignal(() => echo.close());
}
