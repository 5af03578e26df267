/**
 * The version state machine: pure functions from one `PolicyHistory` to
 * the next. They read no clock and make no ids: `env` brings both. Every function returns a new
 * history value and never mutates its arguments, so a reader holding the old value never sees a
 * half-done promotion: after any call there is at most one production version.
 */
import type { Failure } from './errors.ts';
import type { Origin, PolicyHistory, PolicyVersion } from './types.ts';

/** What a transition needs from the outside world. `now` is an ISO-8601 timestamp. */
export type VersionEnv = {
  readonly now: string;
  readonly newId: () => string;
  readonly actor: string | null;
};

/**
 * `version` is the version the call created, changed or (for a delete) removed. A refusal is a
 * `Failure` with code `not_found`, `bad_request`, `read_only` or `conflict`.
 */
export type VersionResult =
  | {
      readonly ok: true;
      readonly history: PolicyHistory;
      readonly version: PolicyVersion;
      readonly warning?: string;
    }
  | { readonly ok: false; readonly error: Failure };

export const DELETE_PRODUCTION_WARNING =
  'Production version was deleted. No other version was promoted. Promote another version to production if this policy should remain active.';
export const DEMOTE_PRODUCTION_WARNING =
  'Production version was demoted to published. The policy has no production version and is inactive until a version is promoted to production.';

// ───────────────────────────── queries ─────────────────────────────

/** The production version, if any. */
export function productionVersion(history: PolicyHistory): PolicyVersion | undefined {
  return history.versions.find((v) => v.status === 'production');
}

/** The version with the highest number (`is_latest` of the reference), if any. */
export function latestVersion(history: PolicyHistory): PolicyVersion | undefined {
  return history.versions.reduce<PolicyVersion | undefined>(
    (best, v) => (best === undefined || v.versionNumber > best.versionNumber ? v : best),
    undefined,
  );
}

/** True for histories owned by a file or a Kubernetes object: the HTTP API may only read them. */
export function isDeclared(history: PolicyHistory): boolean {
  return history.origin.kind !== 'api';
}

/** A history with no versions yet, owned by `origin`. */
export function emptyHistory(namespace: string, name: string, origin: Origin): PolicyHistory {
  return { namespace, name, origin, active: true, versions: [] };
}
