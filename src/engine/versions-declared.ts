/** Declared policies (files, Kubernetes objects): the GitOps transitions (docs/gitops.md). */
import { contentDigest, stableStringify } from './digest.ts';
import { policyNameOf } from './names.ts';
import type {
  Origin,
  PolicyContent,
  PolicyHistory,
  PolicyResource,
  PolicyVersion,
  VersionStatus,
} from './types.ts';
import { appendVersion, newVersion, promote, touched, withVersions } from './version-steps.ts';
import { emptyHistory, isDeclared, latestVersion, type VersionEnv } from './versions.ts';

// ───────────────────────────── declared policies (GitOps) ─────────────────────────────

/** What one apply did, for events and logs. Nothing is reported when nothing changed. */
export type VersionChange =
  | { readonly kind: 'created'; readonly versionNumber: number; readonly policyId: string }
  | { readonly kind: 'reused'; readonly versionNumber: number; readonly policyId: string }
  | { readonly kind: 'published'; readonly versionNumber: number; readonly policyId: string }
  | { readonly kind: 'promoted'; readonly versionNumber: number; readonly policyId: string }
  | { readonly kind: 'demoted'; readonly versionNumber: number; readonly policyId: string }
  | { readonly kind: 'adopted'; readonly from: Origin }
  | { readonly kind: 'reactivated' };

/**
 * `notes` describe a state worth showing (for example on a status condition) that is not a
 * change: they are the same on every apply of the same resource.
 */
export type DeclaredResult = {
  readonly history: PolicyHistory;
  readonly changes: readonly VersionChange[];
  readonly notes: readonly string[];
};

const STAGE: Record<VersionStatus, number> = { draft: 0, published: 1, production: 2 };

/** Among versions with this digest, the one at the highest stage, then the newest. */
function versionWithDigest(history: PolicyHistory, digest: string): PolicyVersion | undefined {
  return history.versions
    .filter((v) => v.digest === digest)
    .reduce<PolicyVersion | undefined>((best, v) => {
      if (best === undefined) return v;
      const byStage = STAGE[v.status] - STAGE[best.status];
      return byStage > 0 || (byStage === 0 && v.versionNumber > best.versionNumber) ? v : best;
    }, undefined);
}

const ref = (v: PolicyVersion) => ({ versionNumber: v.versionNumber, policyId: v.policyId });

/** A declared spec's versioned content: what is left without the fields that are not content. */
function specContent(spec: PolicyResource['spec']): PolicyContent {
  const { versionStatus: _stage, policyName: _named, shadow: _shadow, ...content } = spec;
  return content;
}

/**
 * The version of `history` that holds `resource`'s content (by digest; the one at the highest
 * stage, then the newest), or undefined when it has none (an invalid spec, a history not stored).
 */
export function specVersion(history: PolicyHistory, resource: PolicyResource): PolicyVersion | undefined {
  return versionWithDigest(history, contentDigest(specContent(resource.spec)));
}

/**
 * Moves `version` (already in `history`) to `target`: production promotes it (and
 * demotes the old production); published publishes a draft or demotes a production version; draft
 * leaves an existing version where it is, with a note when it is at a higher stage.
 */
function moveTo(
  history: PolicyHistory,
  version: PolicyVersion,
  target: VersionStatus,
  env: VersionEnv,
): { history: PolicyHistory; changes: VersionChange[]; notes: string[] } {
  if (version.status === target) return { history, changes: [], notes: [] };
  switch (target) {
    case 'production': {
      const done = promote(history, version, env);
      const changes: VersionChange[] = [{ kind: 'promoted', ...ref(done.promoted) }];
      if (done.demoted) changes.push({ kind: 'demoted', ...ref(done.demoted) });
      return { history: done.history, changes, notes: [] };
    }
    case 'published': {
      if (version.status === 'production') {
        const demoted = touched(version, env, { status: 'published' });
        return {
          history: withVersions(history, [demoted]),
          changes: [{ kind: 'demoted', ...ref(demoted) }],
          notes: [],
        };
      }
      const published = touched(version, env, { status: 'published', publishedAt: env.now });
      return {
        history: withVersions(history, [published]),
        changes: [{ kind: 'published', ...ref(published) }],
        notes: [],
      };
    }
    case 'draft':
      return {
        history,
        changes: [],
        notes: [
          `versionStatus is draft but this content is version ${version.versionNumber}, already ${version.status}; it stays ${version.status}`,
        ],
      };
  }
}

/**
 * Reconciles one declared Policy into its history (docs/gitops.md). The spec's content is a version:
 * content whose digest equals an existing version re-uses it (a `git revert` is a rollback);
 * other content becomes version N+1 (a draft, parent = the previous latest). It is then moved to
 * `spec.versionStatus` (see `moveTo`). The history takes the resource's origin and is active; an
 * API-owned history of the same name is adopted (its versions are kept). Re-applying the same
 * resource returns the same history object with no changes. Deterministic given `env`.
 */
export function applyDeclared(
  history: PolicyHistory | undefined,
  resource: PolicyResource,
  env: VersionEnv,
): DeclaredResult {
  const versionStatus = resource.spec.versionStatus;
  const content = specContent(resource.spec);
  const base = history ?? emptyHistory(resource.namespace, policyNameOf(resource), resource.origin);
  const changes: VersionChange[] = [];
  if (history !== undefined && !isDeclared(history)) changes.push({ kind: 'adopted', from: history.origin });
  if (history !== undefined && !history.active) changes.push({ kind: 'reactivated' });
  const sameOrigin = stableStringify(base.origin) === stableStringify(resource.origin);
  let next: PolicyHistory =
    sameOrigin && base.active ? base : { ...base, origin: resource.origin, active: true };

  const digest = contentDigest(content);
  let version = versionWithDigest(next, digest);
  const reused = version !== undefined;
  if (version === undefined) {
    version = newVersion(next, content, 'draft', latestVersion(next)?.policyId ?? null, env);
    next = appendVersion(next, version);
    changes.push({ kind: 'created', ...ref(version) });
  }
  const moved = moveTo(next, version, versionStatus, env);
  if (reused && moved.changes.length > 0) changes.push({ kind: 'reused', ...ref(version) });
  return { history: moved.history, changes: [...changes, ...moved.changes], notes: moved.notes };
}

/**
 * The declared object is gone: the history is kept for audit but inactive (no part in
 * resolution) until `applyDeclared` sees the object again. Returns the same object when already
 * inactive.
 */
export function deactivateDeclared(history: PolicyHistory): PolicyHistory {
  return history.active ? { ...history, active: false } : history;
}
