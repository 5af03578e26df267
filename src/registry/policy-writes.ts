/**
 * The policy writes of LiteLLM's `/policies` management API: each is a
 * version transition of the engine's state machine, checked as a file would be, then stored.
 */
import {
  type ContentPatch,
  createVersion as createDraftVersion,
  createPolicy as createPolicyVersion,
  deleteVersion as deleteOneVersion,
  emptyHistory,
  type Failure,
  type GuardrailSpec,
  historyKey,
  type Issue,
  isDeclared,
  type PolicyContent,
  type PolicyHistory,
  productionVersion,
  type Resource,
  type Result,
  resourceKey,
  setStatus as setVersionStatus,
  updateDraft as updateDraftVersion,
  type VersionEnv,
  type VersionResult,
  validateResources,
} from '../engine/index.ts';
import { fail, findById, ok, readOnly, type VersionEntry } from './api-result.ts';
import { unchanged, type WriteScope, write } from './api-write.ts';
import type { ApiChange, ApiState } from './registry.ts';

function withHistory(state: ApiState, history: PolicyHistory): Map<string, PolicyHistory> {
  return new Map(state.histories).set(historyKey(history.namespace, history.name), history);
}

function historiesIn(state: ApiState, namespace: string): PolicyHistory[] {
  return [...state.histories.values()].filter((h) => h.namespace === namespace);
}

type Written = VersionEntry & { readonly warning?: string };

/** Stores the new history only when the transition succeeded. */
function versionWrite(state: ApiState, result: VersionResult): ApiChange<Result<Written>> {
  if (!result.ok) return unchanged({ ok: false, error: result.error });
  const { history, version, warning } = result;
  return {
    histories: withHistory(state, history),
    result: ok(warning ? { history, version, warning } : { history, version }),
  };
}

/**
 * Checks `content` as the policy `name` would be checked in a file: against the production
 * versions of the namespace's other policies and its guardrail catalog. Returns the errors only.
 */
function checkContent(state: ApiState, scope: WriteScope, name: string, content: PolicyContent): Issue[] {
  const resources: Resource[] = [];
  for (const h of historiesIn(state, scope.namespace)) {
    const production = h.active && h.name !== name ? productionVersion(h) : undefined;
    if (production) {
      resources.push({
        kind: 'Policy',
        namespace: h.namespace,
        name: h.name,
        origin: h.origin,
        spec: { ...production.content, versionStatus: 'production' },
      });
    }
  }
  const catalog: ReadonlyMap<string, GuardrailSpec> =
    scope.registry.snapshot().namespaces.get(scope.namespace)?.guardrails ?? new Map();
  for (const [g, spec] of catalog) {
    resources.push({ kind: 'Guardrail', namespace: scope.namespace, name: g, origin: { kind: 'api' }, spec });
  }
  const candidate: Resource = {
    kind: 'Policy',
    namespace: scope.namespace,
    name,
    origin: { kind: 'api' },
    spec: { ...content, versionStatus: 'production' },
  };
  const issues = validateResources([...resources, candidate]).get(resourceKey(candidate)) ?? [];
  return issues.filter((i) => i.severity === 'error');
}

const invalidError = (name: string, issues: readonly Issue[]): Failure => ({
  code: 'invalid',
  message: `Policy '${name}' is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
  issues,
});
/** `POST /policies`: v1 in production, after the checks a file would get. */
export function createPolicy(
  scope: WriteScope,
  name: string,
  content: PolicyContent,
): Promise<Result<VersionEntry>> {
  return write(scope, (state, env) => {
    const existing = state.histories.get(historyKey(scope.namespace, name));
    const result = createPolicyVersion(existing, scope.namespace, name, content, env);
    const issues = result.ok ? checkContent(state, scope, name, content) : [];
    return versionWrite(state, issues.length > 0 ? { ok: false, error: invalidError(name, issues) } : result);
  });
}

/** `POST /policies/name/{name}/versions`: a draft copy of the source (default: production). */
export function createVersion(
  scope: WriteScope,
  name: string,
  sourcePolicyId: string | undefined,
): Promise<Result<VersionEntry>> {
  return write(scope, (state, env) => {
    const history =
      state.histories.get(historyKey(scope.namespace, name)) ??
      emptyHistory(scope.namespace, name, { kind: 'api' });
    const find = (id: string) => findById(historiesIn(state, scope.namespace), id)?.version;
    return versionWrite(state, createDraftVersion(history, sourcePolicyId, env, find));
  });
}

/** Runs a transition on the history holding `policyId` in the namespace, or answers LiteLLM's 404. */
function onVersion(
  scope: WriteScope,
  policyId: string,
  transition: (history: PolicyHistory, state: ApiState, env: VersionEnv) => VersionResult,
): Promise<Result<Written>> {
  return write(scope, (state, env) => {
    const histories = historiesIn(state, scope.namespace);
    const found = findById(histories, policyId);
    if (!found) {
      // A declared policy is also addressed by its name, as the reference does for config ones.
      const declared = histories.find((h) => h.name === policyId && isDeclared(h));
      return unchanged(
        declared ? readOnly(declared) : fail('not_found', `Policy with ID ${policyId} not found`),
      );
    }
    return versionWrite(state, transition(found.history, state, env));
  });
}

/** `PUT /policies/{id}`: edits a draft, after the checks a file would get. */
export function updateDraft(
  scope: WriteScope,
  policyId: string,
  patch: ContentPatch,
): Promise<Result<VersionEntry>> {
  return onVersion(scope, policyId, (history, state, env) => {
    const result = updateDraftVersion(history, policyId, patch, env);
    if (!result.ok) return result;
    const issues = checkContent(state, scope, history.name, result.version.content);
    return issues.length > 0 ? { ok: false, error: invalidError(history.name, issues) } : result;
  });
}

/** `PUT /policies/{id}/status`. */
export function setStatus(scope: WriteScope, policyId: string, status: string): Promise<Result<Written>> {
  return onVersion(scope, policyId, (history, _state, env) =>
    setVersionStatus(history, policyId, status, env),
  );
}

/** `DELETE /policies/{id}`: one version; deleting production leaves none and warns. */
export function deleteVersion(scope: WriteScope, policyId: string): Promise<Result<Written>> {
  return onVersion(scope, policyId, (history) => deleteOneVersion(history, policyId));
}

/** `DELETE /policies/name/{name}/all-versions`: succeeds for an unknown name too, as the reference. */
export function deleteAllVersions(scope: WriteScope, name: string): Promise<Result<{ name: string }>> {
  return write(scope, (state) => {
    const key = historyKey(scope.namespace, name);
    const history = state.histories.get(key);
    if (!history) return unchanged(ok({ name }));
    if (isDeclared(history)) {
      return unchanged(readOnly(history));
    }
    const histories = new Map(state.histories);
    histories.delete(key);
    return { histories, result: ok({ name }) };
  });
}
