/**
 * Inheritance chains and the guardrails of one policy. Never throws: missing
 * policies and cycles are validation errors, reported elsewhere.
 */
import type { CompiledCondition } from './condition.ts';
import type { PolicyContent, RequestContext } from './types.ts';

/**
 * The inheritance chain of `name`, root first, ending with `name`. A missing
 * policy contributes nothing: a missing parent leaves `[name]`, a missing `name` gives `[]`. A
 * cycle truncates the chain where it would revisit a name: `A→B→A` resolved from A is `[B, A]`.
 */
export function inheritanceChain(
  name: string,
  lookup: (name: string) => PolicyContent | undefined,
): string[] {
  const chain: string[] = [];
  const visited = new Set<string>();
  let current: string | undefined = name;
  while (current !== undefined && !visited.has(current)) {
    visited.add(current);
    const content = lookup(current);
    if (content === undefined) break;
    chain.push(current);
    current = content.inherit;
  }
  return chain.reverse();
}

/** One level of a chain, as far as guardrails are concerned. */
export type GuardrailLevel = {
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly condition: CompiledCondition;
};

const NOTHING_MANDATORY: ReadonlySet<string> = new Set();

/**
 * The guardrails of a chain (root first), sorted. Each level adds, then removes
 * (within a level remove wins; a child can re-add what a parent removed). With a context, a level
 * whose condition fails is skipped whole; without one, every level applies. A `mandatory`
 * guardrail (the namespace's floor) is never removed: its removal has no effect.
 */
export function resolvePolicyGuardrails(
  levels: readonly GuardrailLevel[],
  ctx?: RequestContext,
  mandatory: ReadonlySet<string> = NOTHING_MANDATORY,
): string[] {
  const guardrails = new Set<string>();
  for (const level of levels) {
    if (ctx !== undefined && !level.condition.test(ctx.model)) continue;
    for (const g of level.add) guardrails.add(g);
    for (const g of level.remove) if (!mandatory.has(g)) guardrails.delete(g);
  }
  return [...guardrails].sort();
}
