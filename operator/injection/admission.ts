// AdmissionReview v1 in, AdmissionReview v1 out, pure. The webhook never denies: a pod that cannot get its
// sidecar is admitted as it is, with a warning (shown by kubectl for a pod created directly) and the
// `hookbridge.io/inject-skipped` annotation (shown by `kubectl describe pod` for pods a controller made).
// Anything unexpected — another kind, an operation other than CREATE, a malformed object — is admitted
// unchanged too: this webhook adds a convenience and must never be the reason a pod does not start.
import type { Subscription } from '../../shared/api/v1alpha1.ts';
import { buildInjection, type InjectionResult, type InjectionSettings, type PodLike } from './mutation.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  namespace?: string;
  operation?: string;
  object?: unknown;
  dryRun?: boolean;
}
export interface AdmissionReview { apiVersion: string; kind: 'AdmissionReview'; request?: AdmissionRequest; response?: AdmissionResponse }
export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch. */
  patch?: string;
  warnings?: string[];
}

/** A request body that has no uid to answer to: the server answers 400 (the apiserver then applies the failure policy). */
export class BadReview extends Error {}

/** The apiserver caps a warning at 256 characters (longer ones are truncated by it, with a log line): keep under it ourselves. */
const MAX_WARNING = 250;
const warning = (s: string): string => (s.length > MAX_WARNING ? `${s.slice(0, MAX_WARNING - 1)}…` : s);

export interface AdmissionContext extends InjectionSettings {
  /** The Subscriptions of a namespace (the operator's informer cache). */
  subscriptionsIn: (namespace: string) => Subscription[];
}

export interface AdmissionOutcome { review: AdmissionReview; result?: InjectionResult }

export function parseReview(body: unknown): AdmissionRequest {
  const r = body as Partial<AdmissionReview> | null;
  if (!r || typeof r !== 'object' || r.kind !== 'AdmissionReview' || typeof r.request?.uid !== 'string' || r.request.uid === '') {
    throw new BadReview('not an AdmissionReview with a request uid');
  }
  if (r.apiVersion !== ADMISSION_API_VERSION) throw new BadReview(`AdmissionReview ${String(r.apiVersion)}: only ${ADMISSION_API_VERSION} is served`);
  return r.request;
}

const answer = (uid: string, extra: Partial<AdmissionResponse> = {}): AdmissionReview =>
  ({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } });

const isPodCreate = (q: AdmissionRequest): boolean =>
  q.operation === 'CREATE' && (q.resource?.resource ?? '') === 'pods' && (q.resource?.group ?? '') === '' && !q.subResource;

/** Answer one AdmissionReview (the body as parsed JSON). Throws BadReview only when there is no uid to answer to. */
export function review(body: unknown, ctx: AdmissionContext): AdmissionOutcome {
  const q = parseReview(body);
  if (!isPodCreate(q)) return { review: answer(q.uid) };
  const pod = q.object as PodLike | undefined;
  const namespace = q.namespace ?? pod?.metadata?.namespace;
  if (!pod || typeof pod !== 'object' || !namespace) {
    return { review: answer(q.uid, { warnings: ['hookbridge: pod without a namespace or object: not injected'] }) };
  }
  let result: InjectionResult;
  try {
    result = buildInjection({ pod, namespace, subscriptions: ctx.subscriptionsIn(namespace), image: ctx.image, imagePullPolicy: ctx.imagePullPolicy });
  } catch (err) {
    // A pod shape the builder did not expect: admit it unchanged rather than fail the call.
    return { review: answer(q.uid, { warnings: [warning(`hookbridge: sidecar not injected: ${(err as Error).message}`)] }) };
  }
  const warnings = result.skipped.map((s) => warning(`hookbridge: ${s.subscription}: ${s.reason}: ${s.message}`));
  const extra: Partial<AdmissionResponse> = {};
  if (result.patch.length > 0) {
    extra.patchType = 'JSONPatch';
    extra.patch = Buffer.from(JSON.stringify(result.patch)).toString('base64');
  }
  if (warnings.length > 0) extra.warnings = warnings;
  return { review: answer(q.uid, extra), result };
}
