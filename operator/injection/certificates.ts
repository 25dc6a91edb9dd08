// The webhook certificate's life in the cluster (cert.ts holds the pure pieces). Every operator replica
// serves the webhook; the leader alone decides: it reads the stored pair, plans with planRotation, and
// when something changed writes, in this order,
//   1. the Secret in the release namespace (component webhook-certificate), so that a leader that dies
//      right after still leaves a pair every replica can load;
//   2. the MutatingWebhookConfiguration's caBundle (caBundlePatch), so the apiserver trusts the new CA
//      before any replica presents a certificate signed by it;
//   3. its own server's certificate (setCertificate).
// Standby replicas load the Secret whenever their cache sees it change. Before any Secret exists a replica
// serves a throwaway self-signed pair that no caBundle names: the apiserver's calls fail TLS and, with
// failurePolicy Ignore, pods start without a sidecar — never blocked.
import { X509Certificate } from 'node:crypto';
import type { Logger } from '../../shared/logger.ts';
import { managedLabels, NAME } from '../../shared/labels.ts';
import type { KubeClient, KubeObject, ResourceType } from '../../shared/kube/client.ts';
import { Secrets } from '../../shared/kube/resource-types.ts';
import { ownerRef } from '../../shared/kube/owner.ts';
import {
  caBundlePatch, CA_LIFETIME_MS, certSecretData, certsFromSecret, mintCa, mintServing, planRotation, serviceDnsNames,
  SERVING_LIFETIME_MS, WEBHOOK_CERT_COMPONENT, type KeyPair, type MutatingWebhookConfigurationLike, type WebhookCerts,
} from './cert.ts';

export const MutatingWebhookConfigurations: ResourceType = {
  group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false,
};

/** The Secret holding the pair: named after the webhook Service, so two releases in one namespace do not share it. */
export const certSecretName = (service: string): string => `${service}-certificate`;

/** Longest the leader waits before looking again (a caBundle reset by hand or by a re-install is repaired within this). */
export const CERT_RECHECK_MS = 5 * 60_000;

export interface CertKeeperOptions {
  client: KubeClient;
  logger: Logger;
  /** Namespace of the webhook Service and of the Secret (the operator's own). */
  namespace: string;
  service: string;
  /** Name of the MutatingWebhookConfiguration whose caBundle the leader keeps. */
  configuration: string;
  /** The server to hand certificates to. */
  serve: (certPem: string, keyPem: string) => void;
  now?: () => number;
}

/** A pair for the time before the Secret exists: self-signed by a CA nobody trusts, so calls fail and are ignored. */
export function throwawayPair(dnsNames: string[], now: Date): KeyPair {
  const ca = mintCa('hookbridge-webhook-unpublished', { now, lifetimeMs: 86_400_000 });
  return mintServing(ca, dnsNames, { now, lifetimeMs: 86_400_000 });
}

/** When the leader should look again: when the serving certificate's renewal falls due, at most CERT_RECHECK_MS. */
export function nextCheckMs(servingCertPem: string, now: number): number {
  try {
    const c = new X509Certificate(servingCertPem);
    const from = Date.parse(c.validFrom);
    const to = Date.parse(c.validTo);
    const due = to - (to - from) / 3;
    return Math.max(1_000, Math.min(CERT_RECHECK_MS, due - now + 1_000));
  } catch { return 1_000; }
}

export class CertKeeper {
  readonly #o: CertKeeperOptions;
  readonly #now: () => number;
  readonly #dnsNames: string[];
  /** Fingerprint of what the server presents now. */
  #serving = '';
  /** Latest caBundle this leader published (or found published). */
  published = '';

  constructor(o: CertKeeperOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#dnsNames = serviceDnsNames(o.service, o.namespace);
  }

  get secretName(): string { return certSecretName(this.#o.service); }
  get dnsNames(): string[] { return [...this.#dnsNames]; }

  /** The pair a replica starts with: the stored one if there is one, else a throwaway. */
  initial(secret: KubeObject | undefined): KeyPair {
    const stored = certsFromSecret(secret?.data as Record<string, string> | undefined);
    const pair = stored?.serving ?? throwawayPair(this.#dnsNames, new Date(this.#now()));
    this.#serving = pair.certPem;
    return pair;
  }

  /** The Secret holds the pair and bundle this keeper serves and last published (false: deleted or changed by someone else). */
  holds(secret: KubeObject | undefined): boolean {
    const stored = certsFromSecret(secret?.data as Record<string, string> | undefined);
    return stored !== undefined && stored.serving.certPem === this.#serving && (this.published === '' || stored.caBundle === this.published);
  }

  /** Every replica: the Secret changed in the cache; serve what it holds (no-op when it is what we serve). */
  load(secret: KubeObject | undefined): boolean {
    const stored = certsFromSecret(secret?.data as Record<string, string> | undefined);
    if (!stored || stored.serving.certPem === this.#serving) return false;
    this.#o.serve(stored.serving.certPem, stored.serving.keyPem);
    this.#serving = stored.serving.certPem;
    this.#o.logger.info({ secretName: this.secretName }, 'webhook certificate loaded');
    return true;
  }

  /** The leader's pass: plan, then Secret → caBundle → server. Returns when to look again (ms). */
  async reconcile(): Promise<number> {
    const { client, namespace, logger } = this.#o;
    const now = new Date(this.#now());
    const live = await client.tryGet(Secrets, namespace, this.secretName);
    const stored: WebhookCerts | undefined = certsFromSecret(live?.data as Record<string, string> | undefined);
    const plan = planRotation(stored, { now, dnsNames: this.#dnsNames, caLifetimeMs: CA_LIFETIME_MS, servingLifetimeMs: SERVING_LIFETIME_MS });
    const next: WebhookCerts = { ca: plan.ca, serving: plan.serving, caBundle: plan.caBundle };
    const config = await client.tryGet<KubeObject & MutatingWebhookConfigurationLike>(MutatingWebhookConfigurations, undefined, this.#o.configuration);
    // Owned by the configuration (a cluster-scoped owner may have namespaced dependents): `helm uninstall`
    // deletes the configuration and the garbage collector the Secret, so nothing of the release is left.
    const owner = config?.metadata.uid ? [ownerRef(MutatingWebhookConfigurations, config, false)] : undefined;
    const ownerChanged = owner !== undefined && live?.metadata.ownerReferences?.[0]?.uid !== owner[0].uid;
    if (!stored || plan.caRotated || plan.servingRotated || stored.caBundle !== plan.caBundle || ownerChanged) {
      await client.apply(Secrets, {
        apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
        metadata: {
          name: this.secretName, namespace, labels: { ...managedLabels(WEBHOOK_CERT_COMPONENT), [NAME]: this.secretName },
          ...(owner ? { ownerReferences: owner } : {}),
        },
        data: certSecretData(next),
      });
      logger.info({ secretName: this.secretName, caRotated: plan.caRotated, servingRotated: plan.servingRotated, first: !stored }, 'webhook certificate stored');
    }
    if (!config) {
      // The chart renders it; without it nothing calls us. Look again soon (an install in progress).
      logger.warn({ configuration: this.#o.configuration }, 'MutatingWebhookConfiguration not found: caBundle not published');
      this.#serveIfNew(plan.serving);
      return 10_000;
    }
    const ops = caBundlePatch(config, plan.caBundle);
    if (ops.length > 0) {
      await client.jsonPatch(MutatingWebhookConfigurations, undefined, this.#o.configuration, ops);
      logger.info({ configuration: this.#o.configuration, webhooks: ops.length / 2 }, 'webhook caBundle published');
    }
    this.published = plan.caBundle;
    this.#serveIfNew(plan.serving);
    return nextCheckMs(plan.serving.certPem, this.#now());
  }

  #serveIfNew(pair: KeyPair): void {
    if (pair.certPem === this.#serving) return;
    this.#o.serve(pair.certPem, pair.keyPem);
    this.#serving = pair.certPem;
  }
}
