// A connector sidecar reads the namespace's `hookbridge-sidecar` config, which lists every sidecar
// Subscription of the namespace, and serves only those its pod named (`--subscriptions a,b`, applied on
// every (re)load by main.ts). Only their token and signing files are mounted in the pod, so the others
// must not even be started.
import type { ConnectorConfig } from '../shared/config.ts';

export interface Narrowed {
  config: ConnectorConfig;
  /** Named but not (or no longer) in the config: logged, and served as soon as a reload lists them. */
  missing: string[];
}

/** Parse the flag: comma-separated names, trimmed, without empties or repeats. */
export const parseSubscriptionList = (flag: string): string[] => [...new Set(flag.split(',').map((s) => s.trim()).filter(Boolean))];

export function narrowToSubscriptions(config: ConnectorConfig, names: string[]): Narrowed {
  const wanted = new Set(names);
  const subscriptions = config.subscriptions.filter((s) => wanted.has(s.name));
  const present = new Set(subscriptions.map((s) => s.name));
  return { config: { ...config, subscriptions }, missing: names.filter((n) => !present.has(n)) };
}
