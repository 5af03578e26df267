/**
 * `POST /policies/attachments/estimate-impact`: which teams, keys and models an attachment would
 * reach, before it is created, with the blast radius `railyard diff` computes (which contexts
 * would gain which guardrails). Railyard has no table of teams and keys: the contexts are those
 * the namespace's own objects name (attachment selectors, conditions) and the attachment's own.
 */
import {
  type AttachmentRecord,
  type AttachmentSpec,
  blastRadius,
  buildPolicyIndex,
  type Condition,
  type ContextImpact,
  contextsNamedBy,
  productionVersion,
  type RequestContext,
  scopeMatches,
} from '../engine/index.ts';
import type { AttachmentInput } from './attachment-writes.ts';
import type { NamespaceView } from './snapshot.ts';

export type AttachmentImpact = {
  /** `scope: "*"`: every request; the lists below are then those of the named contexts. */
  readonly global: boolean;
  /** Team aliases, key aliases and models of the named contexts the attachment matches, sorted. */
  readonly teams: readonly string[];
  readonly keys: readonly string[];
  readonly models: readonly string[];
  /** The named contexts that would gain guardrails (the attachment adds, never removes). */
  readonly gains: readonly ContextImpact[];
};

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** Pure: the view is read, nothing is created. */
export function estimateAttachmentImpact(
  view: NamespaceView | undefined,
  namespace: string,
  input: AttachmentInput,
): AttachmentImpact {
  const spec: AttachmentSpec = { ...input, priority: input.priority ?? 0 };
  const existing = view?.attachments ?? [];
  const conditions = new Map<string, Condition | undefined>();
  for (const [name, policy] of view?.index.policies ?? []) {
    conditions.set(name, policy.chain[policy.chain.length - 1]?.content.condition);
  }
  const contexts = contextsNamedBy({ attachments: [...existing.map((a) => a.spec), spec], conditions });
  const reached = contexts.filter((ctx) => scopeMatches(spec, ctx));
  const values = (pick: (ctx: RequestContext) => string | null | undefined) =>
    sorted(reached.flatMap((ctx) => (pick(ctx) ? [pick(ctx) as string] : [])));

  const proposed: AttachmentRecord = {
    attachmentId: '(proposed)',
    namespace,
    spec,
    origin: { kind: 'api' },
    createdAt: '',
    updatedAt: '',
    createdBy: null,
    updatedBy: null,
  };
  const policies = (view?.histories ?? []).flatMap((h) => {
    const production = h.active ? productionVersion(h) : undefined;
    return production ? [{ version: production }] : [];
  });
  const before = view?.index ?? buildPolicyIndex({ policies, attachments: [] });
  const after = buildPolicyIndex({ policies, attachments: [...existing, proposed] });
  const gains = blastRadius(
    new Map([[namespace, before]]),
    new Map([[namespace, after]]),
    new Map([[namespace, contexts]]),
  );
  return {
    global: spec.scope === '*',
    teams: values((c) => c.teamAlias),
    keys: values((c) => c.keyAlias),
    models: values((c) => c.model),
    gains,
  };
}
