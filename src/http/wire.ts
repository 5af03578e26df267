import { unescape as unescapeQuery } from 'node:querystring';
import {
  type AttachmentRecord,
  type Checked,
  type Condition,
  type ContentPatch,
  commaList,
  describeOrigin,
  type Explanation,
  type Issue,
  type MatchedPolicy,
  type Pipeline,
  type PipelineResult,
  type PolicyContent,
  type PolicyHistory,
  type PolicyVersion,
  type RequestContext,
  type Resolution,
  type StepResult,
  type VersionDiff,
  validatePipeline,
} from '../engine/index.ts';
import { HttpError } from './errors.ts';

/** LiteLLM's `PolicyResolveResponse`, plus the versions that produced it. */
export function toWireResolution(r: Resolution, revision: number): Record<string, unknown> {
  return {
    effective_guardrails: r.effectiveGuardrails,
    matched_policies: r.matchedPolicies.map((m) => ({
      policy_name: m.policyName,
      matched_via: m.matchedVia,
      guardrails_added: m.guardrailsAdded,
    })),
    policy_versions: r.matchedPolicies.flatMap(versionsOf),
    revision,
  };
}

function versionsOf(m: MatchedPolicy): Record<string, unknown>[] {
  return m.versions.map((v) => ({
    policy_name: v.policyName,
    policy_id: v.policyId,
    version_number: v.versionNumber,
    digest: v.digest,
    used_by: m.policyName,
  }));
}

/**
 * The longest context value a route accepts (`team_alias`, `key_alias`, `model`, and each tag) and
 * the most tags: what a proxy sends is far shorter, and an answer is cached by its context.
 */
export const CONTEXT_LIMITS = { valueChars: 256, tags: 64 } as const;

/** What a `/v1/resolve` query asks: the namespace it names and the request context. */
export type ContextQuery = { readonly namespace: string | undefined; readonly context: RequestContext };

/**
 * Reads a `/v1/resolve` query string as `node:querystring` would (`+` is a space, `%XX` escapes,
 * the first of repeated values wins) in one pass over the known names: it runs on every proxy
 * call. `tags=a,b` and repeated `tags=a&tags=b` both work; an empty value means absent. A value
 * over `CONTEXT_LIMITS` is a 422 naming the field and the limit.
 */
export function contextFromQuery(query: string): ContextQuery {
  let namespace: string | undefined;
  let teamAlias: string | undefined;
  let keyAlias: string | undefined;
  let model: string | undefined;
  const tags: string[] = [];
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    const eq = query.indexOf('=', start);
    const split = eq === -1 || eq > end ? end : eq;
    const name = decoded(query.slice(start, split));
    const value = split === end ? '' : decoded(query.slice(split + 1, end));
    start = end + 1;
    switch (name) {
      case 'team_alias':
        teamAlias ??= value;
        break;
      case 'key_alias':
        keyAlias ??= value;
        break;
      case 'model':
        model ??= value;
        break;
      case 'namespace':
        namespace ??= value;
        break;
      case 'tags':
        tags.push(...commaList(value));
        break;
    }
  }
  const context = {
    teamAlias: teamAlias || undefined,
    keyAlias: keyAlias || undefined,
    model: model || undefined,
    tags,
  };
  const issues = contextIssues(context, 'query');
  if (issues.length > 0)
    throw new HttpError('unprocessable', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  return { namespace, context };
}

function decoded(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return unescapeQuery(text.replaceAll('+', ' '));
}

/** The values of `ctx` over `CONTEXT_LIMITS`, each an issue under `at` naming the field and the limit. */
function contextIssues(ctx: RequestContext, at: string): Issue[] {
  const issues: Issue[] = [];
  const over = (field: string, message: string) =>
    issues.push({ code: 'invalid_schema', severity: 'error', path: `${at}.${field}`, message });
  const chars = `must be at most ${CONTEXT_LIMITS.valueChars} characters`;
  if ((ctx.teamAlias?.length ?? 0) > CONTEXT_LIMITS.valueChars) over('team_alias', chars);
  if ((ctx.keyAlias?.length ?? 0) > CONTEXT_LIMITS.valueChars) over('key_alias', chars);
  if ((ctx.model?.length ?? 0) > CONTEXT_LIMITS.valueChars) over('model', chars);
  const tags = ctx.tags ?? [];
  if (tags.length > CONTEXT_LIMITS.tags) over('tags', `must have at most ${CONTEXT_LIMITS.tags} items`);
  if (tags.some((t) => t.length > CONTEXT_LIMITS.valueChars)) over('tags', `each tag ${chars}`);
  return issues;
}

/** `PolicyResolveRequest` / `PolicyMatchContext` wire names → the engine's context. */
export function fromWireContext(body: {
  team_alias?: string | null;
  key_alias?: string | null;
  model?: string | null;
  tags?: readonly string[] | null;
}): RequestContext {
  return { teamAlias: body.team_alias, keyAlias: body.key_alias, model: body.model, tags: body.tags };
}

/** `GuardrailPipeline` as LiteLLM writes it. */
export function toWirePipeline(p: Pipeline): Record<string, unknown> {
  return {
    mode: p.mode,
    steps: p.steps.map((s) => ({
      guardrail: s.guardrail,
      on_pass: s.onPass,
      on_fail: s.onFail,
      on_error: s.onError ?? null,
      pass_data: s.passData,
      modify_response_message: s.modifyResponseMessage ?? null,
    })),
  };
}

/** `PolicyDBResponse`: one version, with the reference's version fields. */
export function toWirePolicy(h: PolicyHistory, v: PolicyVersion): Record<string, unknown> {
  const latest = h.versions.reduce((max, x) => Math.max(max, x.versionNumber), 0);
  return {
    policy_id: v.policyId,
    policy_name: v.policyName,
    version_number: v.versionNumber,
    version_status: v.status,
    parent_version_id: v.parentVersionId,
    is_latest: v.versionNumber === latest,
    published_at: v.publishedAt,
    production_at: v.productionAt,
    inherit: v.content.inherit ?? null,
    description: v.content.description ?? null,
    guardrails_add: v.content.guardrails.add,
    guardrails_remove: v.content.guardrails.remove,
    condition: v.content.condition ? { model: v.content.condition.model ?? null } : null,
    pipeline: v.content.pipeline ? toWirePipeline(v.content.pipeline) : null,
    created_at: v.createdAt,
    created_by: v.createdBy,
    updated_at: v.updatedAt,
    updated_by: v.updatedBy,
    policy_definition_location: h.origin.kind === 'api' ? 'db' : 'config',
    definition_source: describeOrigin(h.origin),
    digest: v.digest,
    namespace: h.namespace,
  };
}

/** `PolicyAttachmentDBResponse`. */
export function toWireAttachment(a: AttachmentRecord): Record<string, unknown> {
  return {
    attachment_id: a.attachmentId,
    policy_name: a.spec.policy,
    scope: a.spec.scope ?? null,
    teams: a.spec.teams,
    keys: a.spec.keys,
    models: a.spec.models,
    tags: a.spec.tags,
    priority: a.spec.priority,
    created_at: a.createdAt,
    created_by: a.createdBy,
    updated_at: a.updatedAt,
    updated_by: a.updatedBy,
    policy_definition_location: a.origin.kind === 'api' ? 'db' : 'config',
    definition_source: describeOrigin(a.origin),
    namespace: a.namespace,
  };
}

// ───────────────────────────── management API additions ─────────────────────────────

/** The fields of `PolicyCreateRequest` / `PolicyUpdateRequest` (reference 1.6). */
export type WirePolicyFields = {
  policy_name?: string;
  inherit?: string | null;
  description?: string | null;
  guardrails_add?: string[] | null;
  guardrails_remove?: string[] | null;
  condition?: { model?: string | string[] | null } | null;
  pipeline?: Record<string, unknown> | null;
};

/**
 * A policy request's fields as a content patch: a field left out is unchanged, `null` clears it
 * (an empty list for guardrails). The pipeline is checked here (reference 1.5 messages, paths under
 * `pipeline`); everything else that needs other objects is the validator's job.
 */
export function fromWirePolicyFields(body: WirePolicyFields): Checked<ContentPatch> {
  let pipeline: Pipeline | null | undefined = body.pipeline === null ? null : undefined;
  if (body.pipeline !== undefined && body.pipeline !== null) {
    const checked = validatePipeline(body.pipeline, 'pipeline');
    if (!checked.ok) return checked;
    pipeline = checked.value;
  }
  const list = (v: string[] | null | undefined) => (v === undefined ? undefined : (v ?? []));
  const add = list(body.guardrails_add);
  const remove = list(body.guardrails_remove);
  const model = body.condition?.model;
  const condition: Condition | null | undefined =
    body.condition === undefined ? undefined : model === undefined || model === null ? null : { model };
  return {
    ok: true,
    value: {
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.inherit !== undefined ? { inherit: body.inherit } : {}),
      ...(add || remove ? { guardrails: { ...(add ? { add } : {}), ...(remove ? { remove } : {}) } } : {}),
      ...(condition !== undefined ? { condition } : {}),
      ...(pipeline !== undefined ? { pipeline } : {}),
    },
  };
}

/** The content of a new policy: the patch applied to nothing. */
export function contentFromPatch(p: ContentPatch): PolicyContent {
  return {
    ...(p.description ? { description: p.description } : {}),
    ...(p.inherit ? { inherit: p.inherit } : {}),
    guardrails: { add: p.guardrails?.add ?? [], remove: p.guardrails?.remove ?? [] },
    ...(p.condition ? { condition: p.condition } : {}),
    ...(p.pipeline ? { pipeline: p.pipeline } : {}),
  };
}

/** Issues rendered for a 400 `Invalid pipeline: ...` (reference 5.1). */
export function renderIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

const DIFF_FIELDS = {
  inherit: 'inherit',
  description: 'description',
  guardrailsAdd: 'guardrails_add',
  guardrailsRemove: 'guardrails_remove',
  condition: 'condition',
  pipeline: 'pipeline',
} as const satisfies Record<keyof VersionDiff, string>;

/** `field_diffs` of `PolicyVersionCompareResponse`: `{field: {version_a, version_b}}`, wire names and shapes. */
export function toWireVersionDiff(
  diff: VersionDiff,
): Record<string, { version_a: unknown; version_b: unknown }> {
  const value = (field: keyof VersionDiff, v: unknown): unknown =>
    v !== null && field === 'pipeline' ? toWirePipeline(v as Pipeline) : v;
  const out: Record<string, { version_a: unknown; version_b: unknown }> = {};
  for (const field of Object.keys(DIFF_FIELDS) as (keyof VersionDiff)[]) {
    const d = diff[field];
    if (d)
      out[DIFF_FIELDS[field]] = { version_a: value(field, d.versionA), version_b: value(field, d.versionB) };
  }
  return out;
}

function toWireStep(s: StepResult): Record<string, unknown> {
  return {
    guardrail_name: s.guardrailName,
    outcome: s.outcome,
    action_taken: s.actionTaken,
    modified_data: s.modifiedData ?? null,
    error_detail: s.errorDetail ?? null,
    duration_seconds: s.durationSeconds,
    ...(s.findings ? { findings: s.findings } : {}),
  };
}

/** A dump of `PipelineExecutionResult` (reference 1.5): absent optional fields are `null`. */
export function toWirePipelineResult(r: PipelineResult): Record<string, unknown> {
  return {
    terminal_action: r.terminalAction,
    step_results: r.stepResults.map(toWireStep),
    modified_data: r.modifiedData ?? null,
    error_message: r.errorMessage ?? null,
    modify_response_message: r.modifyResponseMessage ?? null,
  };
}

/** `POST /v1/explain`: the resolution, then why, in wire names. */
export function toWireExplanation(e: Explanation, revision: number): Record<string, unknown> {
  return {
    context: {
      team_alias: e.context.teamAlias ?? null,
      key_alias: e.context.keyAlias ?? null,
      model: e.context.model ?? null,
      tags: e.context.tags ?? null,
    },
    ...toWireResolution(e.resolution, revision),
    attachments: e.attachments.map((a) => ({
      attachment_id: a.attachment,
      policy_name: a.policy,
      priority: a.priority,
      anchor: a.anchor,
      verdict: a.verdict,
      matched_via: a.matchedVia ?? null,
      reason: a.reason ?? null,
    })),
    not_candidates: e.notCandidates,
    policies: e.policies.map((p) => ({
      policy_name: p.policyName,
      attachment_id: p.attachment,
      matched_via: p.matchedVia,
      condition_passed: p.conditionPassed,
      guardrails: p.guardrails,
      inheritance_chain: p.chain.map((level) => ({
        policy_name: level.version.policyName,
        policy_id: level.version.policyId,
        version_number: level.version.versionNumber,
        digest: level.version.digest,
        guardrails_add: level.add,
        guardrails_remove: level.remove,
        condition: level.condition ? { model: level.condition.model ?? null } : null,
        condition_passed: level.conditionPassed,
      })),
    })),
  };
}
