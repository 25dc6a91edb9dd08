// Who is calling (SPEC §3): the socket peer, unless the peer is a trusted proxy given as a CIDR (IPv4 or
// IPv6); then the rightmost X-Forwarded-For hop that is not a trusted proxy. Everything left of that hop
// was written by the client and can be forged, so it is never used; with no trusted proxies the header
// is ignored entirely.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';

export class TrustedProxies {
  readonly cidrs: readonly string[];
  readonly #list = new net.BlockList();

  /** Throws on anything that is not an address or `address/prefix`. A bare address is a /32 or /128. */
  constructor(cidrs: readonly string[] = []) {
    this.cidrs = cidrs;
    for (const c of cidrs) {
      const [addr, prefix, extra] = c.trim().split('/');
      const family = net.isIP(addr);
      const max = family === 4 ? 32 : 128;
      const bits = prefix === undefined ? max : Number(prefix);
      if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? String(max)) || bits > max) {
        throw new Error(`not an IPv4 or IPv6 CIDR: ${JSON.stringify(c)}`);
      }
      this.#list.addSubnet(addr, bits, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  get empty(): boolean { return this.cidrs.length === 0; }

  /** True for an address inside one of the CIDRs (IPv4-mapped IPv6 addresses match IPv4 CIDRs). */
  has(address: string): boolean {
    const family = net.isIP(address);
    return family !== 0 && this.#list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Splits comma-separated CIDR lists (`--trusted-proxies a,b --trusted-proxies c`) into one list. */
export const parseTrustedProxies = (values: readonly string[]): TrustedProxies =>
  new TrustedProxies(values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean));

/** An X-Forwarded-For hop as an address: `[v6]:port`, `v4:port` and `::ffff:v4` reduced to the address. */
function hopAddress(hop: string): string {
  const h = hop.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (bracketed) return bracketed[1];
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(h);
  return v4port ? v4port[1] : h;
}

const unmapped = (a: string): string => (a.toLowerCase().startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a);

const MAX_HOPS = 32;

export function clientAddress(req: IncomingMessage, trusted: TrustedProxies): string {
  const peer = unmapped(req.socket.remoteAddress ?? '');
  if (trusted.empty || !trusted.has(peer)) return peer;
  const raw = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',').slice(-MAX_HOPS);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(hopAddress(hops[i]));
    if (!net.isIP(hop)) return client; // garbage left of a trusted hop: the last address we could trust
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}
