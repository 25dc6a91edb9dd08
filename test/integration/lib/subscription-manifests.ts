// The YAML of one channel with one Subscription and the two Secrets the operator would write for it
// (`<sub>-hookbridge-token`, `<sub>-hookbridge-signing`): what `listen --subscription` reads, from a
// folder (-f) or from the apiserver (kubectl apply).
export interface SubscriptionManifests {
  namespace: string;
  channel: string;
  subscription: string;
  token: string;
  signingSecret: string;
  /** Flow-style YAML mappings, e.g. `{eventType: {jsonPointer: /type}}`. */
  channelSpec?: string;
  /** Extra lines of the Subscription's spec (two-space indented), after channelRef. */
  subscriptionSpec: string[];
}

export function subscriptionManifests(o: SubscriptionManifests): string {
  const meta = (name: string) => `metadata: {name: ${name}, namespace: ${o.namespace}}`;
  return [
    `apiVersion: hookbridge.io/v1alpha1\nkind: WebhookChannel\n${meta(o.channel)}${o.channelSpec ? `\nspec: ${o.channelSpec}` : ''}`,
    `apiVersion: hookbridge.io/v1alpha1\nkind: Subscription\n${meta(o.subscription)}\nspec:\n  channelRef: {name: ${o.channel}}\n${o.subscriptionSpec.map((l) => `  ${l}`).join('\n')}`,
    `apiVersion: v1\nkind: Secret\n${meta(`${o.subscription}-hookbridge-token`)}\nstringData: {token: ${o.token}}`,
    `apiVersion: v1\nkind: Secret\n${meta(`${o.subscription}-hookbridge-signing`)}\nstringData: {secret: ${o.signingSecret}}`,
  ].join('\n---\n') + '\n';
}
