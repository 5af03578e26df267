/**
 * Reading the resolution index for one request: the candidate attachments of a context and a
 * policy's guardrails for it. Cost is what matches, not what exists.
 */

import type { Buckets, IndexedAttachment, IndexedPolicy, PolicyIndex, ValueMemo } from './index-types.ts';
import { resolvePolicyGuardrails } from './inherit.ts';
import { contextValue } from './match.ts';
import type { RequestContext } from './types.ts';

/**
 * The estimated bytes one dimension's value memo may hold before it starts over: thousands of
 * distinct values, plenty for live traffic.
 */
const VALUE_MEMO_BYTES = 4 * 1024 * 1024;

/** Stores `found` for `value`, starting the memo over once its estimated bytes pass the budget. */
function rememberValue(memo: ValueMemo, value: string, found: readonly IndexedAttachment[]): void {
  const bytes = 2 * value.length + 8 * found.length + 96; // the key, the list, the entry
  if (bytes > VALUE_MEMO_BYTES) return;
  if (memo.bytes + bytes > VALUE_MEMO_BYTES) {
    memo.entries.clear();
    memo.bytes = 0;
  }
  memo.entries.set(value, found);
  memo.bytes += bytes;
}

function collect(index: PolicyIndex, b: Buckets, value: string, out: IndexedAttachment[]): void {
  let found = b.byValue.entries.get(value);
  if (found === undefined) {
    found = lookup(b, value).map((rank) => index.attachments[rank] as IndexedAttachment);
    rememberValue(b.byValue, value, found);
  }
  for (const a of found) out.push(a);
}

function lookup(b: Buckets, value: string): number[] {
  const found: number[] = [...(b.exact.get(value) ?? [])];
  for (const length of b.prefixLengths) {
    if (length > value.length) break;
    const ranks = b.prefix.get(value.slice(0, length));
    if (ranks !== undefined) found.push(...ranks);
  }
  return found.sort((x, y) => x - y);
}

/**
 * The attachments that may match `ctx`, ascending rank and unique: every attachment that matches
 * is among them (a superset; verify each with `scopeMatches`). Dangling attachments are never
 * candidates. Written into `into` when given (its content is replaced).
 */
export function candidates(
  index: PolicyIndex,
  ctx: RequestContext,
  into: IndexedAttachment[] = [],
): IndexedAttachment[] {
  const out = into;
  out.length = 0;
  for (const a of index.alwaysCandidates) out.push(a);
  const { buckets } = index;
  for (const dim of ['teams', 'keys', 'models'] as const) {
    const value = contextValue(dim, ctx);
    if (value !== null && value !== undefined) collect(index, buckets[dim], value, out);
  }
  if (ctx.tags) for (const tag of ctx.tags) collect(index, buckets.tags, tag, out);
  if (out.length === index.alwaysCandidates.length) return out; // already sorted and unique
  // A handful of items from a few sorted runs: an insertion sort, dropping repeats, in place.
  let n = 0;
  for (let i = 0; i < out.length; i++) {
    const a = out[i] as IndexedAttachment;
    let j = n;
    while (j > 0 && (out[j - 1] as IndexedAttachment).rank > a.rank) j--;
    if (j > 0 && out[j - 1] === a) continue;
    for (let k = n; k > j; k--) out[k] = out[k - 1] as IndexedAttachment;
    out[j] = a;
    n++;
  }
  out.length = n;
  return out;
}

/**
 * One policy's guardrails (GET /policies/{id}/resolved-guardrails): without a context every level
 * applies; with one, levels whose condition fails are skipped. Undefined when the
 * policy is not in the index. Sorted.
 */
export function policyGuardrails(
  index: PolicyIndex,
  name: string,
  ctx?: RequestContext,
): readonly string[] | undefined {
  const policy = index.policies.get(name);
  if (policy === undefined) return undefined;
  if (ctx === undefined) return policy.guardrails;
  if (policy.ancestorsUnconditional && policy.condition.test(ctx.model)) return policy.guardrails;
  return chainGuardrails(policy, ctx.model);
}

/** Chains whose answers by model are remembered; past that, answers are computed each time. */
const BY_MODEL_LIMIT = 64;

/**
 * `resolvePolicyGuardrails(policy.chain, ctx)` for any context with this model (conditions only
 * read the model), remembered for the first `BY_MODEL_LIMIT` models of each policy that has a
 * memo. Sorted.
 */
export function chainGuardrails(policy: IndexedPolicy, model: string | null | undefined): readonly string[] {
  const memo = policy.byModel;
  if (model === null || model === undefined || memo === undefined)
    return resolvePolicyGuardrails(policy.chain, { model }, policy.mandatory);
  let guardrails = memo.get(model);
  if (guardrails === undefined) {
    guardrails = resolvePolicyGuardrails(policy.chain, { model }, policy.mandatory);
    if (memo.size < BY_MODEL_LIMIT) memo.set(model, guardrails);
  }
  return guardrails;
}
