/** Policies created through the HTTP API: LiteLLM's transitions, plus compare. */
import { canonicalContent, contentDigest, stableStringify } from './digest.ts';
import type { Condition, Pipeline, PolicyContent, PolicyHistory, PolicyVersion } from './types.ts';
import {
  appendVersion,
  fail,
  newVersion,
  notFound,
  promote,
  readOnly,
  touched,
  withVersions,
} from './version-steps.ts';
import {
  DELETE_PRODUCTION_WARNING,
  DEMOTE_PRODUCTION_WARNING,
  emptyHistory,
  isDeclared,
  productionVersion,
  type VersionEnv,
  type VersionResult,
} from './versions.ts';

// ───────────────────────────── API-owned policies ─────────────────────────────

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
 * so that a version of another policy gives LiteLLM's name-mismatch error.
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
 * LiteLLM's status transitions, plus demotion. `status` is the caller's raw input.
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
 * promoted in its place) and returns LiteLLM's `warning`. Errors: `not_found`, `read_only`.
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

// ───────────────────────────── compare ─────────────────────────────

type ComparedFields = {
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
 * The fields LiteLLM compares that differ between two versions, by plain equality of their JSON
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
