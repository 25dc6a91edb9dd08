// Destination guard (SPEC §6): a connector runs inside a cluster, so a Subscription must not be able to
// point it at link-local, cloud metadata, unspecified or (for cluster connectors) loopback addresses, in any
// spelling or IPv6 embedding (the rules: shared/destinations.ts). With an allowlist (the operator always
// writes one), destinations are also limited to the Subscription's namespace Services plus the listed
// host names (`*.example.com` for subdomains) and CIDRs.
//
// Two checks, one rule set: checkDestination() before an attempt (cached, so a refused destination is
// dead-lettered without a request), and connectLookup() — the `lookup` of the HTTP client's sockets — at
// connect time, so the address actually connected to is the one checked (DNS rebinding cannot slip a
// different address in between). IP-literal URLs need no lookup: the first check saw the address itself.
// Redirects are never followed (attempt.ts), so a destination cannot bounce a delivery elsewhere.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { addressRefusal, describeRefusal, nameRefusal, normaliseHost } from '../../shared/destinations.ts';
import { targetOf } from './target.ts';

export type Lookup = (host: string) => Promise<string[]>;
const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

const family = (a: string): 'ipv4' | 'ipv6' => (isIP(a) === 6 ? 'ipv6' : 'ipv4');
/** `::ffff:10.1.2.3` → `10.1.2.3`, for matching IPv4 CIDRs. */
const unmap = (a: string): string => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)?.[1] ?? a;

export interface GuardOptions {
  /** The Subscription's namespace: `*.<ns>.svc[.cluster.local]` is always allowed when an allowlist is set. */
  namespace: string;
  /** Host names (`*.example.com` for subdomains) or CIDRs (ConnectorConfig.allowedDestinations); absent = any address that is not refused. */
  allowed?: string[];
  allowLoopback?: boolean;
  lookup?: Lookup;
}

export type GuardVerdict = { ok: true } | { ok: false; reason: string };

export async function checkDestination(url: string, o: GuardOptions): Promise<GuardVerdict> {
  const u = URL.parse(url);
  if (!u) return { ok: false, reason: 'invalid destination URL' };
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: `destination scheme ${u.protocol} not allowed` };
  const host = normaliseHost(u.hostname);
  const byName = nameRefusal(host, o.allowLoopback ?? true);
  if (byName) return { ok: false, reason: `destination ${host} is ${describeRefusal(byName)}` };
  let addrs: string[];
  try {
    addrs = isIP(host) ? [host] : await (o.lookup ?? systemLookup)(host);
  } catch (err) {
    return { ok: false, reason: `destination host ${host} does not resolve: ${(err as Error).message}` };
  }
  return checkAddresses(host, addrs, o);
}

/** Parsed allowlists, by their text (one per connector config). */
const compiled = new Map<string, { names: string[]; suffixes: string[]; cidrs: BlockList }>();
function allowlist(entries: readonly string[]) {
  const key = entries.join(',');
  let c = compiled.get(key);
  if (!c) {
    c = { names: [], suffixes: [], cidrs: new BlockList() };
    for (const raw of entries) {
      const e = raw.trim().toLowerCase();
      const [net, bits] = e.split('/');
      if (isIP(net)) {
        try { c.cidrs.addSubnet(net, bits === undefined ? (isIP(net) === 6 ? 128 : 32) : Number(bits), family(net)); } catch { /* a malformed prefix allows nothing */ }
      }
      else if (e.startsWith('*.')) c.suffixes.push(e.slice(1));
      else if (e) c.names.push(normaliseHost(e));
    }
    if (compiled.size >= 64) compiled.clear();
    compiled.set(key, c);
  }
  return c;
}

/** The rules for a host and the addresses it resolved to: every address must pass. */
export function checkAddresses(host: string, addrs: readonly string[], o: GuardOptions): GuardVerdict {
  const allowLoopback = o.allowLoopback ?? true;
  const byName = nameRefusal(host, allowLoopback);
  if (byName) return { ok: false, reason: `destination ${host} is ${describeRefusal(byName)}` };
  for (const a of addrs) {
    const r = addressRefusal(a, allowLoopback);
    if (r) return { ok: false, reason: `destination ${host} resolves to ${describeRefusal(r)} ${a}` };
  }
  if (o.allowed === undefined) return { ok: true };
  const svc = new RegExp(`^[^.]+\\.${o.namespace.replace(/[.]/g, '\\.')}\\.svc(\\.cluster\\.local)?$`);
  if (svc.test(host)) return { ok: true };
  const list = allowlist(o.allowed);
  if (list.names.includes(host) || list.suffixes.some((s) => host.endsWith(s))) return { ok: true };
  if (addrs.length > 0 && addrs.every((a) => list.cidrs.check(unmap(a), family(unmap(a))))) return { ok: true };
  return { ok: false, reason: `destination ${host} is not a Service of namespace ${o.namespace} nor in the allowlist (chart value destinations.allowed)` };
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
  readonly #cache = new Map<string, { at: number; verdict: GuardVerdict }>();
  readonly #o: GuardOptions;
  readonly #ttlMs: number;
  constructor(o: GuardOptions, ttlMs = 30_000) { this.#o = o; this.#ttlMs = ttlMs; }

  /** The same rules at socket connect time (give it to HttpSender). */
  connectLookup(): LookupFunction { return connectLookup(this.#o); }

  async check(url: string): Promise<GuardVerdict> {
    const key = targetOf(url)?.origin ?? url;
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < this.#ttlMs) return hit.verdict;
    const verdict = await checkDestination(url, this.#o);
    this.#cache.set(key, { at: Date.now(), verdict });
    return verdict;
  }
}
