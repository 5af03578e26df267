/**
 * The operations of LiteLLM's `/policies` management API (reference 3 and 5) over the registry.
 * Reads answer from one snapshot; writes go through `Registry.transact`, so they are serialised,
 * persisted, then published. Every client mistake comes back as an `Failure` value with the
 * reference's message; nothing here throws for one. HTTP statuses are the http layer's business.
 */
import {
  type AttachmentRecord,
  type AttachmentSpec,
  type ContentPatch,
  compareVersions,
  compileCondition,
  createVersion as createDraftVersion,
  createPolicy as createPolicyVersion,
  deleteVersion as deleteOneVersion,
  describeOrigin,
  type ErrorCode,
  emptyHistory,
  type Failure,
  failure,
  type GuardrailSpec,
  type Issue,
  inheritanceChain,
  isDeclared,
  type PolicyContent,
  type PolicyHistory,
  type PolicyVersion,
  productionVersion,
  type Resource,
  type Result,
  resolvePolicyGuardrails,
  resourceKey,
  setStatus as setVersionStatus,
  updateDraft as updateDraftVersion,
  type VersionDiff,
  type VersionEnv,
  type VersionResult,
  type VersionStatus,
  validateResources,
} from '../engine/index.ts';
import { historyKey } from '../reconcile/index.ts';
import type { ApiChange, ApiState, Registry } from './registry.ts';
import type { NamespaceView } from './snapshot.ts';

/** One version with the history it belongs to (the wire form needs both). */
export type VersionEntry = { readonly history: PolicyHistory; readonly version: PolicyVersion };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(code: ErrorCode, message: string, issues?: readonly Issue[]): Result<T> => ({
  ok: false,
  error: failure(code, message, issues),
});
/** The reference's 400 for a config policy, naming where this one is declared. */
const readOnly = <T>(h: PolicyHistory): Result<T> =>
  fail(
    'read_only',
    `Policy '${h.name}' is defined in ${describeOrigin(h.origin)} and can only be changed there`,
  );
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ───────────────────────────── reads (one snapshot) ─────────────────────────────

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

/** Every version of one name, number desc; empty for an unknown name (reference 5.1). */
export function listVersions(view: NamespaceView | undefined, name: string): VersionEntry[] {
  const history = view?.histories.find((h) => h.name === name);
  if (!history) return [];
  return [...history.versions].reverse().map((version) => ({ history, version }));
}

function findById(histories: Iterable<PolicyHistory>, policyId: string): VersionEntry | undefined {
  for (const history of histories) {
    const version = history.versions.find((v) => v.policyId === policyId);
    if (version) return { history, version };
  }
  return undefined;
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

/** `GET /policies/compare`: the differing fields (reference 3.6); the ids need not share a name. */
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

// ───────────────────────────── writes (Registry.transact) ─────────────────────────────

/** Who writes, and in which namespace. `actor` becomes `created_by`/`updated_by`. */
export type WriteScope = {
  readonly registry: Registry;
  readonly namespace: string;
  readonly actor: string | null;
};

type Work<T> = (state: ApiState, env: VersionEnv) => ApiChange<Result<T>>;

function write<T>(scope: WriteScope, work: Work<T>): Promise<Result<T>> {
  return scope.registry.transact(scope.actor, work);
}

const unchanged = <T>(result: Result<T>): ApiChange<Result<T>> => ({ result });

function withHistory(state: ApiState, history: PolicyHistory): Map<string, PolicyHistory> {
  return new Map(state.histories).set(historyKey(history.namespace, history.name), history);
}

function historiesIn(state: ApiState, namespace: string): PolicyHistory[] {
  return [...state.histories.values()].filter((h) => h.namespace === namespace);
}

/** A version transition's outcome; `invalid` comes from the content checks, not the state machine. */
type Transition = VersionResult | { readonly ok: false; readonly error: Failure };
type Written = VersionEntry & { readonly warning?: string };

/** Stores the new history only when the transition succeeded. */
function versionWrite(state: ApiState, result: Transition): ApiChange<Result<Written>> {
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

/** `POST /policies`: v1 in production (reference 3.1), after the checks a file would get. */
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

/** Runs a transition on the history holding `policyId` in the namespace, or answers the reference's 404. */
function onVersion(
  scope: WriteScope,
  policyId: string,
  transition: (history: PolicyHistory, state: ApiState, env: VersionEnv) => Transition,
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

/** `PUT /policies/{id}`: edits a draft (reference 3.3), after the checks a file would get. */
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

/** `PUT /policies/{id}/status` (reference 3.4, plus demotion; a demotion carries a `warning`). */
export function setStatus(scope: WriteScope, policyId: string, status: string): Promise<Result<Written>> {
  return onVersion(scope, policyId, (history, _state, env) =>
    setVersionStatus(history, policyId, status, env),
  );
}

/** `DELETE /policies/{id}`: one version; deleting production leaves none and warns (reference 3.5). */
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

/** The attachment fields a client sends; lists default to empty, priority to 0. */
export type AttachmentInput = Omit<AttachmentSpec, 'priority'> & { readonly priority?: number };

/**
 * `POST /policies/attachments`: rejects an attachment without selectors (`unprocessable`, as the
 * reference's body validator) and one whose policy has no production version in the namespace
 * (`not_found`; declared policies count, unlike the reference's DB-only check).
 */
export function createAttachment(
  scope: WriteScope,
  input: AttachmentInput,
): Promise<Result<AttachmentRecord>> {
  return write(scope, (state, env) => {
    const spec: AttachmentSpec = { ...input, priority: input.priority ?? 0 };
    const resource: Resource = {
      kind: 'PolicyAttachment',
      namespace: scope.namespace,
      name: 'new',
      origin: { kind: 'api' },
      spec,
    };
    const errors = (validateResources([resource]).get(resourceKey(resource)) ?? []).filter(
      (i) => i.severity === 'error',
    );
    if (errors.length > 0) {
      return unchanged(
        fail('unprocessable', errors.map((i) => `${i.path}: ${i.message}`).join('; '), errors),
      );
    }
    const history = state.histories.get(historyKey(scope.namespace, spec.policy));
    if (!history?.active || !productionVersion(history)) {
      return unchanged(fail('not_found', `Policy '${spec.policy}' not found. Create the policy first.`));
    }
    const record: AttachmentRecord = {
      attachmentId: env.newId(),
      namespace: scope.namespace,
      spec,
      origin: { kind: 'api' },
      createdAt: env.now,
      updatedAt: env.now,
      createdBy: env.actor,
      updatedBy: env.actor,
    };
    return { attachments: new Map(state.attachments).set(record.attachmentId, record), result: ok(record) };
  });
}

/** `DELETE /policies/attachments/{id}`: API-created ones only; a declared one answers `read_only`. */
export function deleteAttachment(scope: WriteScope, attachmentId: string): Promise<Result<{ id: string }>> {
  return write(scope, (state) => {
    const own = state.attachments.get(attachmentId);
    if (own && own.namespace === scope.namespace) {
      const attachments = new Map(state.attachments);
      attachments.delete(attachmentId);
      return { attachments, result: ok({ id: attachmentId }) };
    }
    const declared = scope.registry
      .snapshot()
      .namespaces.get(scope.namespace)
      ?.attachments.find((a) => a.attachmentId === attachmentId);
    if (declared) {
      return unchanged(
        fail(
          'read_only',
          `Attachment '${attachmentId}' is defined in ${describeOrigin(declared.origin)} and can only be removed there`,
        ),
      );
    }
    return unchanged(fail('not_found', `Attachment with ID ${attachmentId} not found`));
  });
}
