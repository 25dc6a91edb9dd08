// A throwaway redis-server for the BullMQ baseline: temp dir, free port, AOF with fsync every second
// (`--save '' --appendonly yes --appendfsync everysec`), the durability most BullMQ deployments run with.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, start, waitUntil, type Child } from './proc.ts';

export const REDIS_DURABILITY = "--save '' --appendonly yes --appendfsync everysec";

export interface Redis { url: string; child: Child; stop(): Promise<void> }

export async function startRedis(runDir: string): Promise<Redis> {
  const dir = path.join(runDir, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = start('redis', 'redis-server', runDir, {
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'everysec', '--daemonize', 'no', '--protected-mode', 'no', '--logfile', ''],
  });
  await waitUntil('redis PING', () => ping(port), 20_000, child);
  return { url: `redis://127.0.0.1:${port}`, child, stop: () => child.stop() };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setTimeout(1_000);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => { sock.destroy(); resolve(d.toString().startsWith('+PONG')); });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
  });
}
