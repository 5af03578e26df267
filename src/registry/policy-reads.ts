/**
 * The reads of LiteLLM's `/policies` management API: each answers from one snapshot's
 * namespace view, and an unknown id is a `not_found` failure, never a throw.
 */
import {
  type AttachmentRecord,
  byText,
  compareVersions,
  compileCondition,
  inheritanceChain,
  isDeclared,
  type PolicyContent,
  productionVersion,
  type Result,
  resolvePolicyGuardrails,
  type VersionDiff,
  type VersionStatus,
} from '../engine/index.ts';
import { fail, findById, ok, type VersionEntry } from './api-result.ts';
import type { NamespaceView } from './snapshot.ts';

/**
 * `GET /policies/list`: API-created versions, newest first (created_at, then number), then the
 * versions of active declared policies by name and number desc; `status` filters both.
 */
export function listPolicies(view: NamespaceView | undefined, status?: VersionStatus): VersionEntry[] {
  const entries = (declared: boolean) =>
    (view?.histories ?? [])
      .filter((h) => isDeclared(h) === declared && (h.active || !declared))
      .flatMap((history) => history.versions.map((version) => ({ history, version })))
      .filter((e) => status === undefined || e.version.status === status);
  const api = entries(false).sort(
    (a, b) =>
      byText(b.version.createdAt, a.version.createdAt) || b.version.versionNumber - a.version.versionNumber,
  );
  const declared = entries(true).sort(
    (a, b) => byText(a.history.name, b.history.name) || b.version.versionNumber - a.version.versionNumber,
  );
  return [...api, ...declared];
}

/** Every version of one name, number desc; empty for an unknown name. */
export function listVersions(view: NamespaceView | undefined, name: string): VersionEntry[] {
  const history = view?.histories.find((h) => h.name === name);
  if (!history) return [];
  return [...history.versions].reverse().map((version) => ({ history, version }));
}

/**
 * `GET /policies/{id}`: the version with that id, else (as the reference does for config
 * policies) the production version of the declared policy named `id`.
 */
export function getPolicy(view: NamespaceView | undefined, policyId: string): Result<VersionEntry> {
  const found = findById(view?.histories ?? [], policyId);
  if (found) return ok(found);
  const declared = view?.histories.find((h) => h.name === policyId && isDeclared(h) && h.active);
  const production = declared && productionVersion(declared);
  if (declared && production) return ok({ history: declared, version: production });
  return fail('not_found', `Policy with ID ${policyId} not found`);
}

/** `GET /policies/compare`: the differing fields; the ids need not share a name. */
export function comparePolicies(
  view: NamespaceView | undefined,
  idA: string,
  idB: string,
): Result<{ a: VersionEntry; b: VersionEntry; diff: VersionDiff }> {
  const a = findById(view?.histories ?? [], idA);
  if (!a) return fail('not_found', `Policy ${idA} not found`);
  const b = findById(view?.histories ?? [], idB);
  if (!b) return fail('not_found', `Policy ${idB} not found`);
  return ok({ a, b, diff: compareVersions(a.version, b.version) });
}

/**
 * `GET /policies/{id}/resolved-guardrails`: the version's own content at the leaf, its ancestors
 * at their production versions, every level applied (no request context). Sorted.
 */
export function resolvedGuardrails(
  view: NamespaceView | undefined,
  policyId: string,
): Result<{ entry: VersionEntry; guardrails: readonly string[] }> {
  const found = getPolicy(view, policyId);
  if (!found.ok) return found;
  const { version } = found.value;
  const production = new Map<string, PolicyContent>();
  for (const h of view?.histories ?? []) {
    const p = h.active ? productionVersion(h) : undefined;
    if (p) production.set(h.name, p.content);
  }
  const lookup = (name: string) => (name === version.policyName ? version.content : production.get(name));
  const levels = inheritanceChain(version.policyName, lookup).map((name) => {
    const content = lookup(name) as PolicyContent;
    return { ...content.guardrails, condition: compileCondition(content.condition) };
  });
  return ok({ entry: found.value, guardrails: resolvePolicyGuardrails(levels) });
}

/** `GET /policies/attachments/list`: API-created ones newest first, then declared ones by id. */
export function listAttachments(view: NamespaceView | undefined): AttachmentRecord[] {
  const all = view?.attachments ?? [];
  const api = all.filter((a) => a.origin.kind === 'api');
  api.sort((a, b) => byText(b.createdAt, a.createdAt) || byText(a.attachmentId, b.attachmentId));
  return [...api, ...all.filter((a) => a.origin.kind !== 'api')];
}

export function getAttachment(
  view: NamespaceView | undefined,
  attachmentId: string,
): Result<AttachmentRecord> {
  const found = view?.attachments.find((a) => a.attachmentId === attachmentId);
  return found ? ok(found) : fail('not_found', `Attachment with ID ${attachmentId} not found`);
}

/** What `GET /policy/info/{name}` tells of a policy in production. */
export type PolicyInfo = {
  readonly entry: VersionEntry;
  /** The chain's guardrails, every level applied (no request context), sorted. */
  readonly resolved: readonly string[];
  /** The policy names of the chain, root first. */
  readonly chain: readonly string[];
  /** Every selector of the policy's attachments, each list sorted and de-duplicated. */
  readonly scope: {
    readonly teams: string[];
    readonly keys: string[];
    readonly models: string[];
    readonly tags: string[];
  };
};

/** The production version of a policy, by the name proxies know it by; `not_found` otherwise. */
export function policyInfo(view: NamespaceView | undefined, name: string): Result<PolicyInfo> {
  const indexed = view?.index.policies.get(name);
  const history = view?.histories.find((h) => h.name === name && h.active);
  const production = history && productionVersion(history);
  if (!indexed || !history || !production) return fail('not_found', `Policy '${name}' not found`);
  const attachments = (view?.attachments ?? []).filter((a) => a.spec.policy === name);
  const union = (pick: (a: AttachmentRecord) => readonly string[]) =>
    [...new Set(attachments.flatMap(pick))].sort(byText);
  return ok({
    entry: { history, version: production },
    resolved: indexed.guardrails,
    chain: indexed.chain.map((level) => level.ref.policyName),
    scope: {
      teams: union((a) => (a.spec.scope === '*' ? ['*'] : a.spec.teams)),
      keys: union((a) => (a.spec.scope === '*' ? ['*'] : a.spec.keys)),
      models: union((a) => (a.spec.scope === '*' ? ['*'] : a.spec.models)),
      tags: union((a) => a.spec.tags),
    },
  });
}
