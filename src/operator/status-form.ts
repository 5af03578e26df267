/**
 * The status Railyard writes on an object, worked out from what the reconciler concluded: the
 * owned fields, conditions that keep their transition time while unchanged, and the merge patch
 * that takes the current status there (compared deeply, whatever the key order). It matches the
 * CRDs' status schema (crds/*.yaml). Pure.
 */
import type { Key, ObjectStatus } from '../engine/index.ts';
import { policyGuardrails } from '../engine/index.ts';
import type { Snapshot } from '../registry/index.ts';

type KubeCondition = {
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
    if (want === undefined ? have === undefined || have === null : sameJson(want, have)) continue;
    differs = true;
    patch[field] = want === undefined ? null : want;
  }
  return differs ? patch : undefined;
}

/**
 * Whether `have` says what `want` says: equal JSON values, whatever the order of object keys;
 * arrays in order. Keys `have` holds beyond `want`'s are ignored: the API server (defaults) or
 * another writer added them, and a merge patch would not remove them either. Pure.
 */
function sameJson(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  if (typeof want !== 'object' || want === null || typeof have !== 'object' || have === null) return false;
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => sameJson(w, have[i]));
  }
  if (Array.isArray(have)) return false;
  const h = have as Record<string, unknown>;
  for (const [k, w] of Object.entries(want)) if (w !== undefined && !sameJson(w, h[k])) return false;
  return true;
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
