// Where `hookbridge listen --subscription NS/NAME` gets what the Subscription says: its stream token
// (`<name>-hookbridge-token`), signing secret (`signing.secretRef`, or the operator's generated
// `<name>-hookbridge-signing`), retry policy, transform and channel — from the cluster through the
// kubeconfig, or from the same manifests `hookbridge dev -f` / `receiver -f` read.
import { channelKeyOf, signingSecretName } from '../shared/api/compile.ts';
import { Subscription, tokenSecretName } from '../shared/api/v1alpha1.ts';
import type { ObjectKey } from '../shared/config.ts';
import { parseManifests, readManifestFiles } from '../shared/api/manifests.ts';
import { KubeClient, type KubeObject } from '../shared/kube/client.ts';
import { Secrets, Subscriptions, WebhookChannels } from '../shared/kube/resource-types.ts';

export interface ListenSource {
  subscription: Subscription;
  /** The receiver's base URL, from the channel's status.url (cluster only). */
  receiverUrl?: string;
  token?: string;
  signingSecret?: string;
  /** Where each value came from, for the banner. */
  from: string;
}

export const signingRefOf = (s: Subscription): { name: string; key: string } =>
  s.spec.signing.secretRef ?? { name: signingSecretName(s.metadata.name), key: 'secret' };

/** `https://hooks.example.com/webhook/ns/name` → `https://hooks.example.com`. */
export function receiverBaseFromIngestUrl(url: unknown): string | undefined {
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const u = new URL(url);
  const i = u.pathname.lastIndexOf('/webhook/');
  return i < 0 ? undefined : `${u.origin}${u.pathname.slice(0, i)}`;
}

export function fromManifests(paths: string[], key: ObjectKey): ListenSource {
  const set = parseManifests(readManifestFiles(paths));
  const sub = set.subscriptions.find((s) => s.metadata.namespace === key.namespace && s.metadata.name === key.name);
  if (!sub) throw new Error(`no Subscription ${key.namespace}/${key.name} in ${paths.join(', ')}`);
  const ref = signingRefOf(sub);
  return {
    subscription: sub,
    token: set.secrets.get(`${key.namespace}/${tokenSecretName(key.name)}`)?.token,
    signingSecret: set.secrets.get(`${key.namespace}/${ref.name}`)?.[ref.key],
    from: paths.join(', '),
  };
}

const secretValue = (s: KubeObject | undefined, key: string): string | undefined => {
  const b64 = (s?.data as Record<string, string> | undefined)?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8').trim();
};

export async function fromCluster(key: ObjectKey, kubeconfig?: string): Promise<ListenSource> {
  const kube = KubeClient.load(kubeconfig);
  try {
    const raw = await kube.tryGet(Subscriptions, key.namespace, key.name);
    if (!raw) throw new Error(`Subscription ${key.namespace}/${key.name} not found (kubectl get whsub -n ${key.namespace})`);
    const parsed = Subscription.safeParse(raw);
    if (!parsed.success) throw new Error(`Subscription ${key.namespace}/${key.name} is not valid: ${parsed.error.issues[0]?.message}`);
    const sub = parsed.data;
    const ref = signingRefOf(sub);
    const ch = channelKeyOf(sub);
    const [tokenSecret, signing, channel] = await Promise.all([
      kube.tryGet(Secrets, key.namespace, tokenSecretName(key.name)),
      kube.tryGet(Secrets, key.namespace, ref.name),
      // Another namespace's channel may not be readable with the person's role: then --receiver is needed.
      kube.tryGet(WebhookChannels, ch.namespace, ch.name).catch(() => undefined),
    ]);
    return {
      subscription: sub,
      receiverUrl: receiverBaseFromIngestUrl((channel?.status as { url?: unknown } | undefined)?.url),
      token: secretValue(tokenSecret, 'token'),
      signingSecret: secretValue(signing, ref.key),
      from: `cluster ${kube.config.getCurrentCluster()?.server ?? ''}`.trim(),
    };
  } finally {
    kube.close();
  }
}
