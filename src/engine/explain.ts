/**
 * Why a request gets what it gets (POST /v1/explain, `railyard resolve --explain`): every candidate
 * attachment with its verdict, every selected policy's chain with each level's condition result
 * and version. Not on the hot path; it answers through the same index and `resolve` as requests.
 */
import { conditionPatterns } from './condition.ts';
import { candidates } from './index-lookup.ts';
import type { Anchor, IndexedPolicy, PolicyIndex } from './index-types.ts';
import { contextValue, type Dimension, matchedVia, scopeMismatch } from './match.ts';
import { resolve, selectedGuardrails } from './resolve.ts';
import type { AttachmentSpec, Condition, RequestContext, Resolution, VersionRef } from './types.ts';

export const ATTACHMENT_VERDICTS = [
  'matched',
  'scope_mismatch',
  'duplicate',
  'condition_failed',
  'policy_missing',
] as const;
type AttachmentVerdict = (typeof ATTACHMENT_VERDICTS)[number];

type AttachmentExplanation = {
  readonly attachment: string;
  readonly policy: string;
  readonly priority: number;
  /** Where the index filed it, hence why it was considered. */
  readonly anchor: Anchor;
  readonly verdict: AttachmentVerdict;
  /** Reference 2.3, present when the attachment's scope matched. */
  readonly matchedVia?: string;
  /** Why it did not apply, e.g. `teams: "eng" does not match ["medical-*"]`. */
  readonly reason?: string;
};

type LevelExplanation = {
  readonly version: VersionRef;
  readonly add: readonly string[];
  readonly remove: readonly string[];
  /** Removals that have no effect: the namespace's floor makes these guardrails mandatory. */
  readonly ignoredRemovals: readonly string[];
  readonly condition?: Condition;
  /** Whether the level applies to the request (a level without a condition always does). */
  readonly conditionPassed: boolean;
};

type PolicyExplanation = {
  readonly policyName: string;
  readonly attachment: string;
  readonly matchedVia: string;
  /** The policy's own condition: when it fails the policy contributes nothing. */
  readonly conditionPassed: boolean;
  /** Root first, ending with the policy itself. */
  readonly chain: readonly LevelExplanation[];
  /** What it contributes to the request, sorted. */
  readonly guardrails: readonly string[];
};

export type Explanation = {
  readonly context: RequestContext;
  /** Exactly what `resolve` answers for the context (its `floor`: the mandatory guardrails and their floors). */
  readonly resolution: Resolution;
  /** Candidates in order (priority desc, policy name, attachment id), then dangling attachments. */
  readonly attachments: readonly AttachmentExplanation[];
  /** Attachments the index never considered: none of their anchor's buckets hold a context value. */
  readonly notCandidates: number;
  /** One per policy whose scope matched, in attachment order, including those whose condition failed. */
  readonly policies: readonly PolicyExplanation[];
};

const CONTEXT_NAMES: Readonly<Record<Dimension, string>> = {
  teams: 'team alias',
  keys: 'key alias',
  models: 'model',
  tags: 'tags',
};

const list = (values: readonly string[]): string => JSON.stringify(values);

function mismatchReason(dim: Dimension, spec: AttachmentSpec, ctx: RequestContext): string {
  const patterns = list(spec[dim]);
  if (dim === 'tags') {
    const tags = ctx.tags ?? [];
    return tags.length === 0
      ? `tags: the request has no tags and ${patterns} needs one`
      : `tags: none of ${list(tags)} matches ${patterns}`;
  }
  const value = contextValue(dim, ctx);
  return value === null || value === undefined
    ? `${dim}: the request has no ${CONTEXT_NAMES[dim]} and ${patterns} has no "*"`
    : `${dim}: ${JSON.stringify(value)} does not match ${patterns}`;
}

function conditionReason(policy: IndexedPolicy, ctx: RequestContext): string {
  const patterns = list(conditionPatterns(policy.chain.at(-1)?.content.condition) ?? []);
  return ctx.model === null || ctx.model === undefined
    ? `condition: the request has no model and the policy requires ${patterns}`
    : `condition: model ${JSON.stringify(ctx.model)} does not match ${patterns}`;
}

function explainPolicy(
  policy: IndexedPolicy,
  attachment: string,
  via: string,
  ctx: RequestContext,
): PolicyExplanation {
  const conditionPassed = policy.condition.test(ctx.model);
  return {
    policyName: policy.name,
    attachment,
    matchedVia: via,
    conditionPassed,
    chain: policy.chain.map((level) => ({
      version: level.ref,
      add: level.add,
      remove: level.remove,
      ignoredRemovals: level.remove.filter((g) => policy.mandatory.has(g)),
      ...(level.condition.always ? {} : { condition: level.content.condition }),
      conditionPassed: level.condition.test(ctx.model),
    })),
    guardrails: conditionPassed ? selectedGuardrails(policy, ctx) : [],
  };
}

/** Explains `resolve(index, ctx)`. Deterministic; never throws. Cost: candidates + one pass for dangling ones. */
export function explain(index: PolicyIndex, ctx: RequestContext): Explanation {
  const attachments: AttachmentExplanation[] = [];
  const policies: PolicyExplanation[] = [];
  const selectedBy = new Map<string, string>();
  const considered = candidates(index, ctx);
  for (const { record, anchor } of considered) {
    const { spec, attachmentId } = record;
    const base = { attachment: attachmentId, policy: spec.policy, priority: spec.priority, anchor };
    const dim = scopeMismatch(spec, ctx);
    if (dim !== undefined) {
      attachments.push({ ...base, verdict: 'scope_mismatch', reason: mismatchReason(dim, spec, ctx) });
      continue;
    }
    const via = matchedVia(spec, ctx);
    const first = selectedBy.get(spec.policy);
    if (first !== undefined) {
      const reason = `policy "${spec.policy}" was already matched by attachment "${first}"`;
      attachments.push({ ...base, verdict: 'duplicate', matchedVia: via, reason });
      continue;
    }
    selectedBy.set(spec.policy, attachmentId);
    const policy = index.policies.get(spec.policy) as IndexedPolicy; // candidates are never dangling
    const explained = explainPolicy(policy, attachmentId, via, ctx);
    policies.push(explained);
    attachments.push(
      explained.conditionPassed
        ? { ...base, verdict: 'matched', matchedVia: via }
        : { ...base, verdict: 'condition_failed', matchedVia: via, reason: conditionReason(policy, ctx) },
    );
  }
  let dangling = 0;
  for (const { record, anchor } of index.attachments) {
    if (anchor !== 'dangling') continue;
    dangling++;
    const { spec, attachmentId } = record;
    attachments.push({
      attachment: attachmentId,
      policy: spec.policy,
      priority: spec.priority,
      anchor,
      verdict: 'policy_missing',
      reason: `policy "${spec.policy}" has no production version in this namespace`,
    });
  }
  return {
    context: ctx,
    resolution: resolve(index, ctx),
    attachments,
    notCandidates: index.attachments.length - considered.length - dangling,
    policies,
  };
}
