/** The steps the version transitions are made of: shared by the API and the declared paths. */
import { canonicalContent, contentDigest } from './digest.ts';
import type { ErrorCode } from './errors.ts';
import { describeOrigin } from './origin.ts';
import type { PolicyContent, PolicyHistory, PolicyVersion } from './types.ts';
import { latestVersion, productionVersion, type VersionEnv, type VersionResult } from './versions.ts';

export const fail = (code: ErrorCode, message: string): VersionResult => ({
  ok: false,
  error: { code, message },
});

export function readOnly(history: PolicyHistory): VersionResult {
  return fail(
    'read_only',
    `Policy '${history.name}' is defined in ${describeOrigin(history.origin)} and can only be changed there`,
  );
}

export const notFound = (policyId: string): VersionResult =>
  fail('not_found', `Policy with ID ${policyId} not found`);

function nextNumber(history: PolicyHistory): number {
  return (latestVersion(history)?.versionNumber ?? 0) + 1;
}

/** Replaces versions by id; the order (ascending number) is kept. */
export function withVersions(history: PolicyHistory, changed: readonly PolicyVersion[]): PolicyHistory {
  const byId = new Map(changed.map((v) => [v.policyId, v]));
  return { ...history, versions: history.versions.map((v) => byId.get(v.policyId) ?? v) };
}

export function appendVersion(history: PolicyHistory, version: PolicyVersion): PolicyHistory {
  return { ...history, versions: [...history.versions, version] };
}

export function newVersion(
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

export function touched(v: PolicyVersion, env: VersionEnv, fields: Partial<PolicyVersion>): PolicyVersion {
  return { ...v, ...fields, updatedAt: env.now, updatedBy: env.actor };
}

/**
 * Makes `target` the production version and demotes the current one (if another) to published,
 * keeping its `publishedAt`, in one new history value. `target` is published first if it is not
 * yet (declared promotion publishes and promotes); its existing `publishedAt` is kept.
 */
export function promote(
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
