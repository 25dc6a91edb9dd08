// Destination guard (SPEC §6): a connector runs inside a cluster, so a Subscription must not be able to
// point it at link-local or cloud metadata endpoints. The host is resolved and every address checked;
// loopback is allowed (tests, `hookbridge dev`) unless forbidden. With an allowlist, destinations are
// limited to the Subscription's namespace Services plus the listed hostnames/CIDRs.
//
// Two checks, one rule set: checkDestination() before an attempt (cached, so a refused destination is
// dead-lettered without a request), and connectLookup() — the `lookup` of the HTTP client's sockets — at
// connect time, so the address actually connected to is the one checked (DNS rebinding cannot slip a
// different address in between). IP-literal URLs need no lookup: the first check saw the address itself.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { targetOf } from './target.ts';

export type Lookup = (host: string) => Promise<string[]>;
const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);
const METADATA_ADDRS = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** `::ffff:169.254.169.254` → `169.254.169.254`; other addresses unchanged (lower-case). */
function unmap(addr: string): string {
  const a = addr.toLowerCase().replace(/^\[|\]$/g, '');
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return m ? m[1] : a;
}
const family = (a: string): 'ipv4' | 'ipv6' => (isIP(a) === 6 ? 'ipv6' : 'ipv4');

export interface GuardOptions {
  /** The Subscription's namespace: `*.<ns>.svc[.cluster.local]` is always allowed when an allowlist is set. */
  namespace: string;
  /** Hostnames or CIDRs (ConnectorConfig.allowedDestinations); absent = any address that is not refused. */
  allowed?: string[];
  allowLoopback?: boolean;
  lookup?: Lookup;
}

export type GuardVerdict = { ok: true } | { ok: false; reason: string };

const normaliseHost = (h: string): string => h.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');

export async function checkDestination(url: string, o: GuardOptions): Promise<GuardVerdict> {
  let u: URL;
  try { u = new URL(url); } catch { return { ok: false, reason: `invalid destination URL` }; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: `destination scheme ${u.protocol} not allowed` };
  const host = normaliseHost(u.hostname);
  if (METADATA_HOSTS.has(host)) return { ok: false, reason: `destination ${host} is a cloud metadata endpoint` };
  let addrs: string[];
  try {
    addrs = isIP(host) ? [host] : await (o.lookup ?? systemLookup)(host);
  } catch (err) {
    return { ok: false, reason: `destination host ${host} does not resolve: ${(err as Error).message}` };
  }
  return checkAddresses(host, addrs, o);
}

/** The rules for a host and the addresses it resolved to: every address must pass. */
export function checkAddresses(host: string, addrs: readonly string[], o: GuardOptions): GuardVerdict {
  if (METADATA_HOSTS.has(host)) return { ok: false, reason: `destination ${host} is a cloud metadata endpoint` };
  for (const raw of addrs) {
    const a = unmap(raw);
    if (METADATA_ADDRS.has(a)) return { ok: false, reason: `destination ${host} resolves to cloud metadata address ${a}` };
    if (linkLocal.check(a, family(a))) return { ok: false, reason: `destination ${host} resolves to link-local address ${a}` };
    if (o.allowLoopback === false && loopback.check(a, family(a))) return { ok: false, reason: `destination ${host} resolves to loopback address ${a}` };
  }
  if (o.allowed === undefined) return { ok: true };
  const svc = new RegExp(`\\.${o.namespace.replace(/[.]/g, '\\.')}\\.svc(\\.cluster\\.local)?$`);
  if (svc.test(host)) return { ok: true };
  if (o.allowed.some((h) => !h.includes('/') && h.toLowerCase() === host)) return { ok: true };
  const cidrs = new BlockList();
  for (const c of o.allowed.filter((h) => h.includes('/'))) {
    const [net, bits] = c.split('/');
    if (isIP(net)) cidrs.addSubnet(net, Number(bits), family(net));
  }
  if (addrs.length > 0 && addrs.every((raw) => cidrs.check(unmap(raw), family(unmap(raw))))) return { ok: true };
  return { ok: false, reason: `destination ${host} is not in the namespace's Services or the allowlist` };
}

/** Thrown (as the socket's error) when a connect-time lookup resolves to a refused address. */
export const REFUSED_CODE = 'EDESTINATIONREFUSED';

/**
 * A `lookup` for net/tls.connect: resolves like dns.lookup (or with `o.lookup`), then checks EVERY resolved
 * address with checkAddresses before the socket may connect to any of them; a refusal fails the connect.
 */
export function connectLookup(o: GuardOptions): LookupFunction {
  const resolve = async (hostname: string, options: LookupOptions): Promise<LookupAddress[]> => {
    if (!o.lookup) return dnsLookup(hostname, { family: options.family, hints: options.hints, all: true });
    const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    return (await o.lookup(hostname)).map((address) => ({ address, family: isIP(address) })).filter((a) => wanted === 0 || a.family === wanted);
  };
  return (hostname, options, callback) => {
    resolve(hostname, options).then((list) => {
      const verdict = checkAddresses(normaliseHost(hostname), list.map((a) => a.address), o);
      if (!verdict.ok) {
        callback(Object.assign(new Error(`${verdict.reason} (at connect)`), { code: REFUSED_CODE }), '', undefined);
        return;
      }
      if (list.length === 0) {
        callback(Object.assign(new Error(`destination host ${hostname} did not resolve`), { code: 'ENOTFOUND' }), '', undefined);
        return;
      }
      if (options.all) callback(null, list);
      else callback(null, list[0].address, list[0].family);
    }, (err: NodeJS.ErrnoException) => callback(err, '', undefined));
  };
}

/** Caches verdicts per URL origin for a short while, so the hot path does not resolve on every attempt. */
export class DestinationGuard {
  private readonly cache = new Map<string, { at: number; verdict: GuardVerdict }>();
  private readonly o: GuardOptions;
  private readonly ttlMs: number;
  constructor(o: GuardOptions, ttlMs = 30_000) { this.o = o; this.ttlMs = ttlMs; }

  /** The same rules at socket connect time (give it to HttpSender). */
  connectLookup(): LookupFunction { return connectLookup(this.o); }

  async check(url: string): Promise<GuardVerdict> {
    const key = targetOf(url)?.origin ?? url;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.verdict;
    const verdict = await checkDestination(url, this.o);
    this.cache.set(key, { at: Date.now(), verdict });
    return verdict;
  }
}
