/**
 * The version state machine (DESIGN 3, reference 3): pure functions from one `PolicyHistory` to
 * the next. They read no clock and make no ids: `env` brings both. Every function returns a new
 * history value and never mutates its arguments, so a reader holding the old value never sees a
 * half-done promotion: after any call there is at most one production version.
 */
import { canonicalContent, contentDigest, stableStringify } from './digest.ts';
import { describeOrigin } from './origin.ts';
import type {
  Condition,
  Origin,
  Pipeline,
  PolicyContent,
  PolicyHistory,
  PolicyResource,
  PolicyVersion,
  VersionStatus,
} from './types.ts';

/** What a transition needs from the outside world. `now` is an ISO-8601 timestamp. */
export type VersionEnv = {
  readonly now: string;
  readonly newId: () => string;
  readonly actor: string | null;
};

export const VERSION_ERROR_CODES = ['not_found', 'bad_request', 'read_only', 'conflict'] as const;
export type VersionErrorCode = (typeof VERSION_ERROR_CODES)[number];
/** `message` is the reference's text where it has one; the HTTP layer maps `code` to a status. */
export type VersionError = { readonly code: VersionErrorCode; readonly message: string };

/** `version` is the version the call created, changed or (for a delete) removed. */
export type VersionResult =
  | {
      readonly ok: true;
      readonly history: PolicyHistory;
      readonly version: PolicyVersion;
      readonly warning?: string;
    }
  | { readonly ok: false; readonly error: VersionError };

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

// ───────────────────────────── helpers ─────────────────────────────

const fail = (code: VersionErrorCode, message: string): VersionResult => ({
  ok: false,
  error: { code, message },
});

function readOnly(history: PolicyHistory): VersionResult {
  return fail(
    'read_only',
    `Policy '${history.name}' is defined in ${describeOrigin(history.origin)} and can only be changed there`,
  );
}

const notFound = (policyId: string): VersionResult =>
  fail('not_found', `Policy with ID ${policyId} not found`);

function nextNumber(history: PolicyHistory): number {
  return (latestVersion(history)?.versionNumber ?? 0) + 1;
}

/** Replaces versions by id; the order (ascending number) is kept. */
function withVersions(history: PolicyHistory, changed: readonly PolicyVersion[]): PolicyHistory {
  const byId = new Map(changed.map((v) => [v.policyId, v]));
  return { ...history, versions: history.versions.map((v) => byId.get(v.policyId) ?? v) };
}

function appendVersion(history: PolicyHistory, version: PolicyVersion): PolicyHistory {
  return { ...history, versions: [...history.versions, version] };
}

function newVersion(
  history: PolicyHistory,
  content: PolicyContent,
  status: 'draft' | 'production',
  parentVersionId: string | null,
  env: VersionEnv,
): PolicyVersion {
  const canonical = canonicalContent(content);
  return {
    policyId: env.newId(),
    policyName: history.name,
    versionNumber: nextNumber(history),
    status,
    parentVersionId,
    digest: contentDigest(canonical),
    content: canonical,
    createdAt: env.now,
    updatedAt: env.now,
    publishedAt: null,
    productionAt: status === 'production' ? env.now : null,
    createdBy: env.actor,
    updatedBy: env.actor,
  };
}

function touched(v: PolicyVersion, env: VersionEnv, fields: Partial<PolicyVersion>): PolicyVersion {
  return { ...v, ...fields, updatedAt: env.now, updatedBy: env.actor };
}

/**
 * Makes `target` the production version and demotes the current one (if another) to published,
 * keeping its `publishedAt`, in one new history value. `target` is published first if it is not
 * yet (declared promotion publishes and promotes); its existing `publishedAt` is kept.
 */
function promote(
  history: PolicyHistory,
  target: PolicyVersion,
  env: VersionEnv,
): { history: PolicyHistory; promoted: PolicyVersion; demoted: PolicyVersion | undefined } {
  const current = productionVersion(history);
  const demoted = current === undefined ? undefined : touched(current, env, { status: 'published' });
  const promoted = touched(target, env, {
    status: 'production',
    publishedAt: target.publishedAt ?? env.now,
    productionAt: env.now,
  });
  return { history: withVersions(history, demoted ? [demoted, promoted] : [promoted]), promoted, demoted };
}

// ───────────────────────────── API-owned policies (reference 3) ─────────────────────────────

/**
 * Reference 3.1: writes v1 straight to production (`productionAt = now`, `publishedAt` null).
 * Errors: `read_only` when `existing` is declared; `conflict` (`Policy with name '<n>' already
 * exists`; the reference answers it with HTTP 400) when `existing` still has versions. An API
 * history whose versions were all deleted one by one starts again at v1.
 */
export function createPolicy(
  existing: PolicyHistory | undefined,
  namespace: string,
  name: string,
  content: PolicyContent,
  env: VersionEnv,
): VersionResult {
  if (existing !== undefined && isDeclared(existing)) return readOnly(existing);
  if (existing !== undefined && existing.versions.length > 0) {
    return fail('conflict', `Policy with name '${name}' already exists`);
  }
  const empty = emptyHistory(namespace, name, { kind: 'api' });
  const version = newVersion(empty, content, 'production', null, env);
  return { ok: true, history: appendVersion(empty, version), version };
}

/**
 * Resolves a version id for `createVersion`; the app passes its by-id index of the same namespace
 * so that a version of another policy gives the reference's name-mismatch error.
 */
export type FindVersion = (policyId: string) => PolicyVersion | undefined;

/**
 * Reference 3.2: a draft copy of `sourcePolicyId` (default: the production version) numbered
 * max + 1, with `parentVersionId` = the source. For a name with no history, pass
 * `emptyHistory(...)`. Errors (`not_found`): `Source policy <id> not found`, `No production version
 * found for policy '<n>'`; (`bad_request`) `Source policy name '<a>' does not match '<b>'`;
 * `read_only` on a declared history.
 */
export function createVersion(
  history: PolicyHistory,
  sourcePolicyId: string | undefined,
  env: VersionEnv,
  findVersion: FindVersion = (id) => history.versions.find((v) => v.policyId === id),
): VersionResult {
  if (isDeclared(history)) return readOnly(history);
  let source: PolicyVersion | undefined;
  if (sourcePolicyId !== undefined) {
    source = history.versions.find((v) => v.policyId === sourcePolicyId) ?? findVersion(sourcePolicyId);
    if (source === undefined) return fail('not_found', `Source policy ${sourcePolicyId} not found`);
    if (source.policyName !== history.name) {
      return fail(
        'bad_request',
        `Source policy name '${source.policyName}' does not match '${history.name}'`,
      );
    }
  } else {
    source = productionVersion(history);
    if (source === undefined)
      return fail('not_found', `No production version found for policy '${history.name}'`);
  }
  const version = newVersion(history, source.content, 'draft', source.policyId, env);
  return { ok: true, history: appendVersion(history, version), version };
}

/**
 * A change to a draft's content. A field left `undefined` keeps its value; a value replaces it;
 * `null` clears an optional field (the reference cannot clear to null; `""` and `{}` also clear).
 * `guardrails.add` and `guardrails.remove` are patched independently. There is no name: renaming
 * a draft (which detached it from its family in the reference) is not supported.
 */
export type ContentPatch = {
  readonly description?: string | null;
  readonly inherit?: string | null;
  readonly guardrails?: { readonly add?: readonly string[]; readonly remove?: readonly string[] };
  readonly condition?: Condition | null;
  readonly pipeline?: Pipeline | null;
};

function patchField<T>(current: T | undefined, next: T | null | undefined): T | undefined {
  if (next === undefined) return current;
  return next === null ? undefined : next;
}

function applyPatch(c: PolicyContent, patch: ContentPatch): PolicyContent {
  return canonicalContent({
    description: patchField(c.description, patch.description),
    inherit: patchField(c.inherit, patch.inherit),
    guardrails: {
      add: patch.guardrails?.add ?? c.guardrails.add,
      remove: patch.guardrails?.remove ?? c.guardrails.remove,
    },
    condition: patchField(c.condition, patch.condition),
    pipeline: patchField(c.pipeline, patch.pipeline),
  });
}

/**
 * Reference 3.3: edits a draft in place (same id and number; digest recomputed). Errors:
 * `not_found` (`Policy with ID <id> not found`), `bad_request` for a non-draft (`Only draft
 * versions can be updated. ...`), `read_only` on a declared history. Content validity (pipeline
 * steps, inheritance) is the validator's job, not this function's.
 */
export function updateDraft(
  history: PolicyHistory,
  policyId: string,
  patch: ContentPatch,
  env: VersionEnv,
): VersionResult {
  if (isDeclared(history)) return readOnly(history);
  const version = history.versions.find((v) => v.policyId === policyId);
  if (version === undefined) return notFound(policyId);
  if (version.status !== 'draft') {
    return fail(
      'bad_request',
      'Only draft versions can be updated. Publish or create a new version to change published/production.',
    );
  }
  const content = applyPatch(version.content, patch);
  const updated = touched(version, env, { content, digest: contentDigest(content) });
  return { ok: true, history: withVersions(history, [updated]), version: updated };
}

/**
 * Reference 3.4, plus DESIGN 2's demotion. `status` is the caller's raw input.
 * - draft → published: sets `publishedAt`.
 * - published → production: promotion; the old production becomes published (keeping its
 *   `publishedAt`) in the same returned history.
 * - production → published: demotion; the policy has no production version (inactive), with a
 *   `warning`.
 * Errors (`bad_request`, reference texts): an unknown status, draft → production, published →
 * published, production → production. `not_found` for an unknown id, `read_only` when declared.
 */
export function setStatus(
  history: PolicyHistory,
  policyId: string,
  status: string,
  env: VersionEnv,
): VersionResult {
  if (isDeclared(history)) return readOnly(history);
  if (status !== 'published' && status !== 'production') {
    return fail('bad_request', `Invalid status '${status}'. Use 'published' or 'production'.`);
  }
  const version = history.versions.find((v) => v.policyId === policyId);
  if (version === undefined) return notFound(policyId);
  const from = version.status;
  if (status === 'published') {
    if (from === 'draft') {
      const published = touched(version, env, { status: 'published', publishedAt: env.now });
      return { ok: true, history: withVersions(history, [published]), version: published };
    }
    if (from === 'production') {
      const demoted = touched(version, env, { status: 'published' });
      return {
        ok: true,
        history: withVersions(history, [demoted]),
        version: demoted,
        warning: DEMOTE_PRODUCTION_WARNING,
      };
    }
    return fail('bad_request', `Only draft versions can be published. Current status: '${from}'.`);
  }
  if (from === 'draft') {
    return fail('bad_request', 'Cannot promote draft directly to production. Publish the version first.');
  }
  if (from === 'production') {
    return fail(
      'bad_request',
      `Only draft or published versions can be promoted to production. Current: '${from}'.`,
    );
  }
  const done = promote(history, version, env);
  return { ok: true, history: done.history, version: done.promoted };
}

/**
 * Reference 3.5: removes one version. Deleting the production version leaves none (nothing is
 * promoted in its place) and returns the reference's `warning`. Errors: `not_found`, `read_only`.
 */
export function deleteVersion(history: PolicyHistory, policyId: string): VersionResult {
  if (isDeclared(history)) return readOnly(history);
  const version = history.versions.find((v) => v.policyId === policyId);
  if (version === undefined) return notFound(policyId);
  const rest = { ...history, versions: history.versions.filter((v) => v.policyId !== policyId) };
  return version.status === 'production'
    ? { ok: true, history: rest, version, warning: DELETE_PRODUCTION_WARNING }
    : { ok: true, history: rest, version };
}

// ───────────────────────────── compare (reference 3.6) ─────────────────────────────

export type ComparedFields = {
  readonly inherit: string;
  readonly description: string;
  readonly guardrailsAdd: readonly string[];
  readonly guardrailsRemove: readonly string[];
  readonly condition: Condition;
  readonly pipeline: Pipeline;
};
/** Only the fields that differ; an absent value is `null`. The wire layer renames to snake_case. */
export type VersionDiff = {
  readonly [K in keyof ComparedFields]?: {
    readonly versionA: ComparedFields[K] | null;
    readonly versionB: ComparedFields[K] | null;
  };
};

function comparedFields(c: PolicyContent): { [K in keyof ComparedFields]: ComparedFields[K] | null } {
  return {
    inherit: c.inherit ?? null,
    description: c.description ?? null,
    guardrailsAdd: c.guardrails.add,
    guardrailsRemove: c.guardrails.remove,
    condition: c.condition ?? null,
    pipeline: c.pipeline ?? null,
  };
}

/**
 * The fields of reference 3.6 that differ between two versions, by plain equality of their JSON
 * values (list order matters, object key order does not). The versions need not share a name.
 */
export function compareVersions(a: PolicyVersion, b: PolicyVersion): VersionDiff {
  const fa = comparedFields(a.content);
  const fb = comparedFields(b.content);
  const diff: Record<string, { versionA: unknown; versionB: unknown }> = {};
  for (const key of Object.keys(fa) as (keyof ComparedFields)[]) {
    if (stableStringify(fa[key]) !== stableStringify(fb[key]))
      diff[key] = { versionA: fa[key], versionB: fb[key] };
  }
  return diff as VersionDiff;
}

// ───────────────────────────── declared policies (DESIGN 3, GitOps) ─────────────────────────────

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

/**
 * Moves `version` (already in `history`) to `target`, per DESIGN 3: production promotes it (and
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
 * Reconciles one declared Policy into its history (DESIGN 3). The spec's content is a version:
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
  const { versionStatus, ...content } = resource.spec;
  const base = history ?? emptyHistory(resource.namespace, resource.name, resource.origin);
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
