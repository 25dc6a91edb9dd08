// Where a connector may deliver (SPEC §6) — the rules, pure, shared by the API check (operator and
// standalone manifests: `Ready=False InvalidDestination`), the CRD's CEL (the subset CEL can say) and the
// connector's guard, which applies them again after DNS at connect time.
//
// Always refused, in every spelling: link-local (169.254.0.0/16, fe80::/10, which holds the cloud metadata
// endpoint 169.254.169.254), other metadata addresses (168.63.129.16 Azure wireserver, 100.100.100.200
// Alibaba, fd00:ec2::254 AWS IPv6), unspecified/"this host" (0.0.0.0/8, ::), metadata host names, and the
// cluster's own API and system namespaces by name. An IPv6 address that carries an IPv4 one (mapped
// ::ffff:a.b.c.d, compatible ::a.b.c.d, SIIT ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
// 6to4 2002::/16, Teredo 2001::/32) is judged by the IPv4 address too. Decimal, octal and hex IPv4
// spellings (`2852039166`, `0251.0376.0251.0376`, `0xa9fea9fe`, `0`) are what the WHATWG URL parser
// turns into dotted quads, so every check works on the parsed URL. Loopback is refused where the caller
// says so (cluster connectors). Private ranges are not refused: pod and Service IPs live there.
import { isIP } from 'node:net';

export type Refusal = 'link-local' | 'metadata' | 'unspecified' | 'loopback' | 'cluster-internal';

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.com']);
/** The cluster's API server and system namespaces, by name (any cluster domain). */
const CLUSTER_INTERNAL = /^(kubernetes(\.default(\.svc(\..*)?)?)?|(.+\.)?kube-(system|public|node-lease)(\.svc(\..*)?)?)$/;

/** Lower-case, no brackets, no trailing dot. */
export const normaliseHost = (h: string): string => h.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');

function v4Bytes(a: string): number[] | undefined {
  const parts = a.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** The 16 bytes of an IPv6 address (with or without an embedded dotted quad), or undefined. */
export function v6Bytes(a: string): number[] | undefined {
  if (isIP(a) !== 6) return undefined;
  let s = a.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const b = v4Bytes(dotted[1]);
    if (!b) return undefined;
    s = `${s.slice(0, dotted.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const all = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  if (all.length !== 8) return undefined;
  const out: number[] = [];
  for (const g of all) { const n = parseInt(g, 16); out.push(n >> 8, n & 0xff); }
  return out;
}

const eq = (b: number[], prefix: number[]): boolean => prefix.every((x, i) => b[i] === x);
const zero = (b: number[], from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);

/** The IPv4 address an IPv6 address carries (mapped, compatible, SIIT, NAT64, 6to4, Teredo), if any. */
export function embeddedV4(b: number[]): number[] | undefined {
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12); // ::ffff:a.b.c.d
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zero(b, 10, 12)) return b.slice(12); // ::ffff:0:a.b.c.d
  if (zero(b, 0, 12) && !zero(b, 12, 16) && !(zero(b, 12, 15) && b[15] === 1)) return b.slice(12); // ::a.b.c.d (not ::, ::1)
  if (eq(b, [0x00, 0x64, 0xff, 0x9b]) && (zero(b, 4, 12) || (b[4] === 0 && b[5] === 1))) return b.slice(12); // NAT64
  if (eq(b, [0x20, 0x02])) return b.slice(2, 6); // 6to4
  if (eq(b, [0x20, 0x01, 0x00, 0x00])) return b.slice(12).map((x) => x ^ 0xff); // Teredo client
  return undefined;
}

function v4Refusal(b: number[], allowLoopback: boolean): Refusal | undefined {
  const s = b.join('.');
  if (s === '169.254.169.254' || s === '168.63.129.16' || s === '100.100.100.200') return 'metadata';
  if (b[0] === 169 && b[1] === 254) return 'link-local';
  if (b[0] === 0) return 'unspecified';
  if (!allowLoopback && b[0] === 127) return 'loopback';
  return undefined;
}

/** Why an IP address may not be connected to, or undefined. Non-addresses are undefined (see hostRefusal). */
export function addressRefusal(address: string, allowLoopback: boolean): Refusal | undefined {
  const a = normaliseHost(address);
  const v4 = v4Bytes(a);
  if (v4) return v4Refusal(v4, allowLoopback);
  const b = v6Bytes(a);
  if (!b) return undefined;
  if (zero(b, 0, 16)) return 'unspecified';
  if (eq(b, [0xfd, 0x00, 0x0e, 0xc2]) && zero(b, 4, 14) && b[14] === 0x02 && b[15] === 0x54) return 'metadata'; // fd00:ec2::254
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'link-local';
  if (!allowLoopback && zero(b, 0, 15) && b[15] === 1) return 'loopback';
  const inner = embeddedV4(b);
  return inner ? v4Refusal(inner, allowLoopback) : undefined;
}

/** Why a host name (not an address) is refused whatever it resolves to, or undefined. */
export function nameRefusal(host: string, allowLoopback = true): Refusal | undefined {
  const h = normaliseHost(host);
  if (METADATA_NAMES.has(h)) return 'metadata';
  if (CLUSTER_INTERNAL.test(h)) return 'cluster-internal';
  if (!allowLoopback && (h === 'localhost' || h.endsWith('.localhost'))) return 'loopback';
  return undefined;
}

const WHY: Record<Refusal, string> = {
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata endpoint',
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  'cluster-internal': 'the cluster\'s own API or a system namespace',
};
export const describeRefusal = (r: Refusal): string => WHY[r];

/**
 * The admission check of a destination URL (no DNS): scheme, and a host that is refused by name or as an
 * address literal in any spelling. Loopback is not refused here (a laptop or a test delivers to it); cluster
 * connectors refuse it when they connect. Returns the reason, or undefined when the URL may be used.
 */
export function destinationUrlProblem(url: string): string | undefined {
  const u = URL.parse(url);
  if (!u) return 'not a URL';
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `scheme ${u.protocol} is not http or https`;
  const host = normaliseHost(u.hostname);
  const r = nameRefusal(host) ?? addressRefusal(host, true);
  return r ? `host ${u.hostname} is ${describeRefusal(r)}` : undefined;
}

/** The private ranges a cluster's pod and Service IPs live in: the chart's default allowlist. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'] as const;
