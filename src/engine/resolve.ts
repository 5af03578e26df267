/**
 * Per-request resolution (with a deterministic order of matched policies).
 * The hot path: it visits only the index's candidates and allocates little beyond its answer.
 */

import { candidates, chainGuardrails } from './index-lookup.ts';
import type { IndexedAttachment, IndexedPolicy, PolicyIndex } from './index-types.ts';
import { matchedVia, scopeMismatch } from './match.ts';
import type { MatchedPolicy, RequestContext, Resolution } from './types.ts';

/** Candidates of the call in progress: `resolve` runs to completion, so one buffer serves every call. */
const scratch: IndexedAttachment[] = [];

/**
 * The policies an index applies to `ctx`, in attachment order (priority desc, policy name,
 * attachment id), one per policy name (the first matching attachment wins), keeping only those
 * whose top-level condition passes. Attachments whose policy is not in the index never match.
 */
function matchPolicies(index: PolicyIndex, ctx: RequestContext): MatchedPolicy[] {
  const matched: MatchedPolicy[] = [];
  const seen: IndexedPolicy[] = []; // a handful: a scan beats a Set
  for (const attachment of candidates(index, ctx, scratch)) {
    const policy = attachment.policy;
    if (policy === undefined || seen.includes(policy)) continue;
    // A candidate found in its anchor's buckets matches on that dimension already.
    if (scopeMismatch(attachment.spec, ctx, attachment.anchor) !== undefined) continue;
    seen.push(policy);
    if (!policy.condition.test(ctx.model)) continue;
    matched.push({
      policyName: policy.name,
      matchedVia: matchedVia(attachment.spec, ctx),
      attachment: attachment.attachmentId,
      guardrailsAdded: selectedGuardrails(policy, ctx),
      versions: policy.versions,
    });
  }
  return matched;
}

/** A selected policy's guardrails: its own condition passed, so only ancestors' conditions matter. */
export function selectedGuardrails(policy: IndexedPolicy, ctx: RequestContext): readonly string[] {
  return policy.ancestorsUnconditional ? policy.guardrails : chainGuardrails(policy, ctx.model);
}

/** What is answered where nothing is served: no policy, no floor. */
export const NO_RESOLUTION: Resolution = { effectiveGuardrails: [], matchedPolicies: [], floor: [] };

/**
 * What applies to a request: the matched policies in deterministic order, each with its chain's
 * guardrails for the context (a level whose condition fails contributes nothing; a removal of a
 * mandatory guardrail is ignored), and the sorted union of theirs and the namespace's floor (the
 * index's `floor`: it applies to every request, matched or not). Never throws; the same index and
 * context always give deep-equal answers. Repeat contexts are the answer cache's business
 * (`src/registry/answer-cache.ts`), not the engine's.
 */
export function resolve(index: PolicyIndex, ctx: RequestContext): Resolution {
  const matchedPolicies = matchPolicies(index, ctx);
  if (matchedPolicies.length === 0) return index.floorOnly;
  return {
    effectiveGuardrails: union(matchedPolicies, index.floorGuardrails),
    matchedPolicies,
    floor: index.floor,
  };
}

/** The sorted union of the policies' guardrail lists and the floor's, each sorted and unique: a pairwise merge. */
function union(matched: readonly MatchedPolicy[], floor: readonly string[]): readonly string[] {
  let out = mergeSorted(floor, (matched[0] as MatchedPolicy).guardrailsAdded);
  for (let i = 1; i < matched.length; i++)
    out = mergeSorted(out, (matched[i] as MatchedPolicy).guardrailsAdded);
  return out;
}

function mergeSorted(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as string;
    const y = b[j] as string;
    if (x < y) {
      out.push(x);
      i++;
    } else if (y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  while (i < a.length) out.push(a[i++] as string);
  while (j < b.length) out.push(b[j++] as string);
  return out;
}
