/** The index content as data, for `/v1/snapshot`: what a proxy needs to evaluate locally. */
import type { PolicyIndex } from './index-types.ts';
import type { AttachmentRecord, Condition, FloorGuardrail, VersionRef } from './types.ts';

type IndexEntryLevel = {
  readonly version: VersionRef;
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly condition?: Condition;
};

type IndexEntryPolicy = {
  readonly name: string;
  /** Root first, ending with the policy itself. */
  readonly chain: readonly IndexEntryLevel[];
  /** Present when no level has a condition: the policy's guardrails for every context. */
  readonly guardrails?: readonly string[];
};

/** The index content for `/v1/snapshot`: enough for a proxy to evaluate locally. */
export type IndexEntries = {
  /** Sorted by name. */
  readonly policies: readonly IndexEntryPolicy[];
  /** In rank order (priority desc, policy name, attachment id), dangling ones included. */
  readonly attachments: readonly AttachmentRecord[];
  /** Mandatory for every request of the namespace; no level's removal takes them out. */
  readonly floor: readonly FloorGuardrail[];
};

/** Lists the index content. Deterministic: the same index always gives deep-equal entries. */
export function indexEntries(index: PolicyIndex): IndexEntries {
  const policies = [...index.policies.values()].map((p): IndexEntryPolicy => {
    const chain = p.chain.map(
      (level): IndexEntryLevel => ({
        version: level.ref,
        add: level.add,
        remove: level.remove,
        ...(level.content.condition?.model === undefined ? {} : { condition: level.content.condition }),
      }),
    );
    const contextFree = p.chain.every((level) => level.condition.always);
    return contextFree ? { name: p.name, chain, guardrails: p.guardrails } : { name: p.name, chain };
  });
  return { policies, attachments: index.attachments.map((a) => a.record), floor: index.floor };
}
