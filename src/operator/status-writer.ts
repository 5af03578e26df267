/**
 * Writes what the reconciler concluded onto each object's status subresource (leader only).
 * Level-triggered: after a pass, every key whose desired status differs from the cached object's
 * `.status` goes into a work queue; the handler re-reads the cache, compares again and sends a
 * merge patch only when something differs. Failures (409, 500, a dropped connection) retry with
 * per-key backoff. The status matches the CRDs' status schema (crds/*.yaml).
 */
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  isClusterScoped,
  type Key,
  type ObjectStatus,
  policyGuardrails,
  resourceKey,
} from '../engine/index.ts';
import { FIELD_MANAGER, kubeError } from '../kube/index.ts';
import { WorkQueue } from '../reconcile/index.ts';
import type { Snapshot } from '../registry/index.ts';
import { type CustomObject, GROUP, PLURALS, VERSION } from '../sources/kubernetes/index.ts';

export type KubeCondition = {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
};

/** The status subresource Railyard owns, as the CRDs define it. */
export type KubeStatus = {
  readonly observedGeneration?: number;
  readonly conditions: readonly KubeCondition[];
  readonly latestVersion?: number;
  readonly latestDigest?: string;
  readonly productionVersion?: number;
  readonly productionDigest?: string;
  readonly resolvedGuardrails?: readonly string[];
  readonly policyHasProduction?: boolean;
  /** GuardrailFloor: how many namespaces it applies to now, the first of them, what they lack. */
  readonly namespaceCount?: number;
  readonly namespaces?: readonly string[];
  readonly missingGuardrails?: readonly {
    readonly namespace: string;
    readonly guardrails: readonly string[];
  }[];
  /** Policy: the version `spec.shadow` names, and what its shadow runs found (this replica's counts). */
  readonly shadow?: {
    readonly version: number;
    readonly policyId: string;
    readonly sampleRate: number;
    readonly running: boolean;
    readonly runs: number;
    readonly agreement?: number;
    readonly state: string;
  };
};

/** What shadow runs counted for one version, as the status reads it. */
export type ShadowCounts = {
  readonly subject: { readonly namespace: string; readonly policy: string; readonly policyId: string };
  readonly runs: number;
  readonly results: { readonly agree: number };
};

/** Every field of `KubeStatus`: a field the desired status lacks is removed (merge-patched to null). */
const OWNED_FIELDS = [
  'observedGeneration',
  'conditions',
  'latestVersion',
  'latestDigest',
  'productionVersion',
  'productionDigest',
  'resolvedGuardrails',
  'policyHasProduction',
  'namespaceCount',
  'namespaces',
  'missingGuardrails',
  'shadow',
] as const;

/** The CRD's bound on the lists of a floor's status. */
const MAX_FLOOR_ITEMS = 1024;

/** Condition messages are capped by the CRD at 32768 characters. */
const MAX_MESSAGE = 32_000;

/**
 * The status to write for `s`. `lastTransitionTime` is kept from `current` while a condition's
 * status stays the same and set to `now` when it flips or is new. `resolvedGuardrails` is the
 * production chain's guardrails (empty when not in production). Pure.
 */
export function desiredStatus(
  s: ObjectStatus,
  current: Readonly<Record<string, unknown>> | undefined,
  resolvedGuardrails: readonly string[],
  now: string,
  shadowCounts?: ShadowCounts,
): KubeStatus {
  const before = new Map(
    (Array.isArray(current?.conditions) ? (current.conditions as KubeCondition[]) : []).map((c) => [
      c.type,
      c,
    ]),
  );
  const generation = s.generation === undefined ? {} : { observedGeneration: s.generation };
  const conditions = s.conditions.map((c): KubeCondition => {
    const old = before.get(c.type);
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message.length > MAX_MESSAGE ? `${c.message.slice(0, MAX_MESSAGE)}…` : c.message,
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now,
      ...generation,
    };
  });
  const p = s.policy;
  return {
    ...generation,
    conditions,
    ...(p?.latestVersion === undefined ? {} : { latestVersion: p.latestVersion }),
    ...(p?.latestDigest === undefined ? {} : { latestDigest: p.latestDigest }),
    ...(p?.productionVersion === undefined ? {} : { productionVersion: p.productionVersion }),
    ...(p?.productionDigest === undefined ? {} : { productionDigest: p.productionDigest }),
    ...(s.key.kind === 'Policy' ? { resolvedGuardrails: [...resolvedGuardrails] } : {}),
    ...(s.attachment ? { policyHasProduction: s.attachment.policyHasProduction } : {}),
    ...(p?.shadow ? { shadow: shadowStatus(p.shadow, shadowCounts) } : {}),
    ...(s.floor
      ? {
          namespaceCount: s.floor.namespaces.length,
          namespaces: s.floor.namespaces.slice(0, MAX_FLOOR_ITEMS),
          missingGuardrails: s.floor.missing.slice(0, MAX_FLOOR_ITEMS),
        }
      : {}),
  };
}

/** A policy's shadow as its status shows it; the agreement rounded so that a status changes seldom. */
function shadowStatus(
  shadow: NonNullable<NonNullable<ObjectStatus['policy']>['shadow']>,
  counts: ShadowCounts | undefined,
): NonNullable<KubeStatus['shadow']> {
  const runs = counts?.runs ?? 0;
  const agreement =
    runs > 0 ? Math.round(((counts?.results.agree ?? 0) / runs) * 10_000) / 10_000 : undefined;
  const v = `v${shadow.versionNumber}`;
  const state = !shadow.running
    ? `${v} in production: shadow ended`
    : agreement === undefined
      ? `${v} no run yet`
      : `${v} ${Number((agreement * 100).toFixed(2))}% of ${runs}`;
  return {
    version: shadow.versionNumber,
    policyId: shadow.policyId,
    sampleRate: shadow.sampleRate,
    running: shadow.running,
    runs,
    ...(agreement === undefined ? {} : { agreement }),
    state,
  };
}

/**
 * The merge patch that turns `current` into `desired` for the fields Railyard owns (others are
 * left alone; owned fields missing from `desired` become null), or undefined when they already
 * agree. Pure.
 */
export function statusPatch(
  desired: KubeStatus,
  current: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  let differs = false;
  for (const field of OWNED_FIELDS) {
    const want = (desired as Record<string, unknown>)[field];
    const have = current?.[field];
    if (JSON.stringify(want) === JSON.stringify(have)) continue;
    if (want === undefined && have === undefined) continue;
    differs = true;
    patch[field] = want === undefined ? null : want;
  }
  return differs ? patch : undefined;
}

/**
 * The production chain's guardrails of a policy, from the snapshot being served; `policyName` is
 * the name proxies know it by (`spec.policyName`, else the object's name).
 */
export function resolvedGuardrailsOf(snapshot: Snapshot, key: Key, policyName = key.name): readonly string[] {
  if (key.kind !== 'Policy') return [];
  const view = snapshot.namespaces.get(key.namespace);
  return (view && policyGuardrails(view.index, policyName)) ?? [];
}

export type StatusWriterOptions = {
  readonly kubeConfig: KubeConfig;
  /** The cached object of a key (the informers' view). */
  readonly object: (key: Key) => CustomObject | undefined;
  /** The snapshot being served: its statuses are what to write. */
  readonly snapshot: () => Snapshot;
  readonly now?: () => Date;
  /** Told after each successful patch with the status written (events, logs). */
  readonly onPatched?: (status: ObjectStatus, object: CustomObject, written: KubeStatus) => void;
  /** Told about every failed patch (it is retried). */
  readonly onError?: (key: string, error: unknown) => void;
  /** Retry delays of one key: first and cap. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** What shadow runs counted on this replica, for the status of policies in shadow. */
  readonly shadowCounts?: () => readonly ShadowCounts[];
};

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  readonly #api: CustomObjectsApi;
  readonly #queue: WorkQueue;
  #running = false;
  #index: { snapshot: Snapshot; byKey: Map<string, ObjectStatus> } | undefined;

  /** Stores its arguments only; `run` writes. */
  constructor(o: StatusWriterOptions) {
    this.#o = o;
    this.#api = o.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#queue = new WorkQueue({
      baseDelayMs: o.baseDelayMs ?? 100,
      maxDelayMs: o.maxDelayMs ?? 30_000,
      onError: (key, e) => o.onError?.(key, e),
    });
  }

  metrics() {
    return this.#queue.metrics();
  }

  /**
   * Enqueues every key (of those `only` keeps) whose desired status differs from its cached
   * object's. No-op unless running.
   */
  enqueueDiffs(only?: (s: ObjectStatus) => boolean): void {
    if (!this.#running) return;
    const snapshot = this.#o.snapshot();
    for (const s of snapshot.statuses)
      if ((only === undefined || only(s)) && this.#pending(s, snapshot)) this.#queue.add(resourceKey(s.key));
  }

  /** Writes statuses until `signal` aborts (leadership lost), then resolves once in-flight patches end. */
  async run(signal: AbortSignal): Promise<void> {
    this.#running = true;
    this.enqueueDiffs();
    await this.#queue.run((key, sig) => this.#reconcile(key, sig), { workers: 2, signal });
    this.#running = false;
  }

  /** The patch `s` needs, or undefined when the object is absent, newer than `s`, or already right. */
  #pending(
    s: ObjectStatus,
    snapshot: Snapshot,
  ): { patch: Record<string, unknown>; desired: KubeStatus; obj: CustomObject } | undefined {
    const obj = this.#o.object(s.key);
    if (!obj || (s.generation !== undefined && obj.metadata?.generation !== s.generation)) return undefined;
    const now = (this.#o.now ?? (() => new Date()))()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const shadow = s.policy?.shadow;
    const counts =
      shadow === undefined
        ? undefined
        : this.#o
            .shadowCounts?.()
            .find(
              (c) =>
                c.subject.namespace === s.key.namespace &&
                c.subject.policy === s.policy?.policyName &&
                c.subject.policyId === shadow.policyId,
            );
    const desired = desiredStatus(
      s,
      obj.status,
      resolvedGuardrailsOf(snapshot, s.key, s.policy?.policyName),
      now,
      counts,
    );
    const patch = statusPatch(desired, obj.status);
    return patch && { patch, desired, obj };
  }

  #byKey(snapshot: Snapshot): Map<string, ObjectStatus> {
    if (this.#index?.snapshot !== snapshot) {
      this.#index = {
        snapshot,
        byKey: new Map(snapshot.statuses.map((s) => [resourceKey(s.key), s])),
      };
    }
    return this.#index.byKey;
  }

  async #reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number }> {
    const snapshot = this.#o.snapshot();
    const s = this.#byKey(snapshot).get(key);
    if (!s || signal.aborted) return {};
    const pending = this.#pending(s, snapshot);
    if (!pending) return {};
    try {
      const target = {
        group: GROUP,
        version: VERSION,
        plural: PLURALS[s.key.kind],
        name: s.key.name,
        fieldManager: FIELD_MANAGER,
        body: { status: pending.patch },
      };
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      if (isClusterScoped(s.key.kind)) await this.#api.patchClusterCustomObjectStatus(target, merge);
      else
        await this.#api.patchNamespacedCustomObjectStatus({ ...target, namespace: s.key.namespace }, merge);
    } catch (e) {
      if (kubeError(e).code === 404) return {}; // deleted meanwhile: nothing to report on
      throw e;
    }
    this.#o.onPatched?.(s, pending.obj, pending.desired);
    return {};
  }
}
