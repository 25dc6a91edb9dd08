// What every reconciler is given: the API client, the caches, events, stats, a clock and the flags.
import type { Logger } from '../../shared/logger.ts';
import type { Applier } from '../../shared/kube/applier.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import type { ReceiverStats } from '../stats/receiver-stats.ts';
import type { World } from './world.ts';

export interface OperatorSettings {
  /** Namespace of the receiver: one config Secret per channel goes there. */
  receiverNamespace: string;
  /** Public base URL; a channel's ingest URL is `${publicUrl}/webhook/{ns}/{name}`. */
  publicUrl: string;
  /** Base URL the connectors dial. */
  connectorReceiverUrl: string;
  connectorImage: string;
  /**
   * Destinations connectors may use besides their namespace's Services (host names, `*.domain`, CIDRs):
   * written into every connector config as allowedDestinations. Default PRIVATE_RANGES.
   */
  destinationAllow?: string[];
  /** Leave loopback destinations allowed (connectors run as processes outside a pod: tests, a laptop). */
  connectorAllowLoopback?: boolean;
  /** imagePullPolicy of the connector containers; absent: Kubernetes' default for the image's tag. */
  connectorImagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Re-read a missing user-named Secret this often (default MISSING_SECRET_RECHECK_MS). */
  missingSecretRecheckMs?: number;
  /** How long the receiver config must carry a staged token before the connector gets it (default 2 s). */
  tokenSettleMs?: number;
}

export interface Deps {
  client: KubeClient;
  /** Apply and status writes that skip what the object (or our write still in flight) already has. */
  applier: Applier;
  world: World;
  events: EventRecorder;
  stats: ReceiverStats;
  logger: Logger;
  metrics: OperatorMetrics;
  now: () => number;
  settings: OperatorSettings;
}

/** Longest a reconcile waits before looking again (also keeps setTimeout within its 24.8-day limit). */
export const MAX_REQUEUE_MS = 60 * 60_000;

/**
 * Secrets the user names (verify secretRef, signing secretRef) are read, not watched (watching every
 * Secret in the cluster costs memory everywhere for a rare change): re-read this often while they
 * exist, and sooner while they are missing.
 */
export const REFERENCED_SECRET_RECHECK_MS = 60_000;
export const MISSING_SECRET_RECHECK_MS = 10_000;
