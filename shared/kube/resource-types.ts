// The resource types Hookbridge reads and writes: the operator, the receiver (its config Secrets) and
// `hookbridge listen` (Subscriptions and their Secrets).
import { GROUP, VERSION } from '../api/v1alpha1.ts';
import type { ResourceType } from './client.ts';

export const WebhookChannels: ResourceType = { group: GROUP, version: VERSION, plural: 'webhookchannels', kind: 'WebhookChannel', namespaced: true };
export const Subscriptions: ResourceType = { group: GROUP, version: VERSION, plural: 'subscriptions', kind: 'Subscription', namespaced: true };
export const Secrets: ResourceType = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const ConfigMaps: ResourceType = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
export const ServiceAccounts: ResourceType = { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };
export const Namespaces: ResourceType = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
export const Deployments: ResourceType = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true };
export const EndpointSlices: ResourceType = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true };
export const Leases: ResourceType = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
export const Events: ResourceType = { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
export const Pods: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
