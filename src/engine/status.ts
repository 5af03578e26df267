import type { Issue, Key, Origin } from './types.ts';

/**
 * `Accepted`: the spec passed every check. `Ready`: it is in force at this generation, everything
 * it needs valid and present. `Degraded` (policies): Railyard could not keep its record (the
 * history could not be stored), so what serves is older than what was declared.
 */
const CONDITION_TYPES = ['Accepted', 'Ready', 'Degraded'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** A Kubernetes-style condition; `lastTransitionTime` is added by whoever persists it. */
export type StatusCondition = {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
};

type PolicyStatusDetail = {
  /** The name proxies know the policy by (its history's name). */
  readonly policyName?: string;
  readonly latestVersion?: number;
  readonly latestDigest?: string;
  readonly productionVersion?: number;
  readonly productionDigest?: string;
  readonly resolvedGuardrails: readonly string[];
  /** `spec.shadow`: the version it names and whether it runs (not once that version is in production). */
  readonly shadow?: {
    readonly versionNumber: number;
    readonly policyId: string;
    readonly sampleRate: number;
    readonly running: boolean;
  };
};

/**
 * What the reconciler concluded about one declared object. The same value feeds the Kubernetes
 * status subresource, `GET /v1/status` and the CLI.
 */
export type ObjectStatus = {
  readonly key: Key;
  readonly origin: Origin;
  readonly generation?: number;
  readonly conditions: readonly StatusCondition[];
  readonly issues: readonly Issue[];
  readonly policy?: PolicyStatusDetail;
  readonly attachment?: { readonly policyHasProduction: boolean };
  readonly floor?: FloorStatusDetail;
};

/** Where a floor applies now, and what it lacks there. */
export type FloorStatusDetail = {
  /** Sorted. */
  readonly namespaces: readonly string[];
  /** Per selected namespace with a guardrail catalog, the floor's guardrails missing or invalid there. */
  readonly missing: readonly { readonly namespace: string; readonly guardrails: readonly string[] }[];
};

/** `spec.inherit: parent policy "x" not found …` — the one rendering of an issue everywhere. */
export function renderIssue(issue: Issue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

export function condition(
  type: ConditionType,
  ok: boolean,
  reason: string,
  message: string,
): StatusCondition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}
