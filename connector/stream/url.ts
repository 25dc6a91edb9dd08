// Stream endpoints (SPEC §4) derived from the receiver's base URL (which may carry a path prefix).
import type { ObjectKey } from '../../shared/config.ts';

function at(receiverUrl: string, path: string, protocol?: (p: string) => string): URL {
  const u = new URL(receiverUrl);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  if (u.protocol === 'wss:') u.protocol = 'https:';
  const prefix = u.pathname.replace(/\/+$/, '');
  u.pathname = `${prefix}${path}`;
  u.search = '';
  u.hash = '';
  if (protocol) u.protocol = protocol(u.protocol);
  return u;
}
const seg = (c: ObjectKey) => `${encodeURIComponent(c.namespace)}/${encodeURIComponent(c.name)}`;

/** ws(s)://host/connect/stream/{ns}/{channel}?window=N */
export function websocketUrl(receiverUrl: string, channel: ObjectKey, window: number): string {
  const u = at(receiverUrl, `/connect/stream/${seg(channel)}`, (p) => (p === 'https:' ? 'wss:' : 'ws:'));
  u.searchParams.set('window', String(window));
  return u.toString();
}

/** http(s)://host/connect/stream/{ns}/{channel}/sse?window=N */
export function sseUrl(receiverUrl: string, channel: ObjectKey, window: number): string {
  const u = at(receiverUrl, `/connect/stream/${seg(channel)}/sse`);
  u.searchParams.set('window', String(window));
  return u.toString();
}

/** http(s)://host/connect/ack/{ns}/{channel} */
export const ackUrl = (receiverUrl: string, channel: ObjectKey): string => at(receiverUrl, `/connect/ack/${seg(channel)}`).toString();
