// Which receiver pods to ask for channel stats: the ready endpoints of the receiver Service, read from
// its EndpointSlices (discovery.k8s.io/v1, labelled kubernetes.io/service-name) in the receiver's
// namespace. Each receiver knows only its own streams and deliveries (receiver-stats.ts combines them),
// so asking the Service — one pod, whichever kube-proxy picks — is not enough.
import type { Logger } from '../../shared/logger.ts';
import { Informer } from '../../shared/kube/informer.ts';
import type { KubeClient, KubeObject } from '../../shared/kube/client.ts';
import { EndpointSlices } from '../../shared/kube/resource-types.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

interface Endpoint { addresses?: string[]; conditions?: { ready?: boolean | null } }
interface SlicePort { name?: string | null; port?: number | null }
export interface EndpointSliceLike { addressType?: string; endpoints?: Endpoint[] | null; ports?: SlicePort[] | null }

/**
 * Base URLs (`scheme://address:port`) of the ready endpoints, deduplicated and sorted. The port is the
 * slice's port named `portName`, else its only port. Per the API, a missing `ready` means ready; only
 * an endpoint's first address is used (as kube-proxy does).
 */
export function readyEndpointUrls(slices: readonly EndpointSliceLike[], o: { scheme: string; portName: string }): string[] {
  const urls = new Set<string>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const ports = s.ports ?? [];
    const port = (ports.find((p) => p.name === o.portName) ?? (ports.length === 1 ? ports[0] : undefined))?.port;
    if (!port) continue;
    for (const e of s.endpoints ?? []) {
      const addr = e.addresses?.[0];
      if (!addr || e.conditions?.ready === false) continue;
      urls.add(`${o.scheme}://${s.addressType === 'IPv6' ? `[${addr}]` : addr}:${port}`);
    }
  }
  return [...urls].sort();
}

export interface ReceiverEndpointsOptions {
  namespace: string;
  service: string;
  /** `http` or `https` (the scheme of --receiver-url). */
  scheme: string;
  portName?: string;
  logger: Logger;
  relistMs?: number;
}

/** A watch on the receiver Service's EndpointSlices; `urls()` is undefined until it has listed. */
export class ReceiverEndpoints {
  readonly informer: Informer<KubeObject>;
  readonly source: string;
  readonly #o: ReceiverEndpointsOptions;

  constructor(client: KubeClient, o: ReceiverEndpointsOptions) {
    this.#o = o;
    this.source = `EndpointSlices of Service ${o.namespace}/${o.service}`;
    this.informer = new Informer<KubeObject>(client, EndpointSlices, {
      namespaces: [o.namespace], labelSelector: `${SERVICE_NAME_LABEL}=${o.service}`, logger: o.logger, relistMs: o.relistMs,
    });
  }

  urls(): string[] | undefined {
    if (!this.informer.synced()) return undefined;
    return readyEndpointUrls(this.informer.list(this.#o.namespace) as EndpointSliceLike[], { scheme: this.#o.scheme, portName: this.#o.portName ?? 'http' });
  }
}
