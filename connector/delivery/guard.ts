// Destination guard (SPEC §6): a connector runs inside a cluster, so a Subscription must not be able to
// point it at link-local or cloud metadata endpoints. The host is resolved and every address checked;
// loopback is allowed (tests, `hookbridge dev`) unless forbidden. With an allowlist, destinations are
// limited to the Subscription's namespace Services plus the listed hostnames/CIDRs.
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';

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

export async function checkDestination(url: string, o: GuardOptions): Promise<GuardVerdict> {
  let u: URL;
  try { u = new URL(url); } catch { return { ok: false, reason: `invalid destination URL` }; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: `destination scheme ${u.protocol} not allowed` };
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (METADATA_HOSTS.has(host)) return { ok: false, reason: `destination ${host} is a cloud metadata endpoint` };
  let addrs: string[];
  try {
    addrs = isIP(host) ? [host] : await (o.lookup ?? systemLookup)(host);
  } catch (err) {
    return { ok: false, reason: `destination host ${host} does not resolve: ${(err as Error).message}` };
  }
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

/** Caches verdicts per URL origin for a short while, so the hot path does not resolve on every attempt. */
export class DestinationGuard {
  private readonly cache = new Map<string, { at: number; verdict: GuardVerdict }>();
  private readonly o: GuardOptions;
  private readonly ttlMs: number;
  constructor(o: GuardOptions, ttlMs = 30_000) { this.o = o; this.ttlMs = ttlMs; }

  async check(url: string): Promise<GuardVerdict> {
    const key = URL.canParse(url) ? new URL(url).origin : url;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.verdict;
    const verdict = await checkDestination(url, this.o);
    this.cache.set(key, { at: Date.now(), verdict });
    return verdict;
  }
}
