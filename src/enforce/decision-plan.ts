/** What one decision runs, planned from its resolution before anything runs. */
import type {
  GuardrailSpec,
  MatchedPolicy,
  Pipeline,
  PipelineMode,
  Resolution,
  VersionRef,
} from '../engine/index.ts';
import type { NamespaceView } from '../registry/index.ts';

/** What to run for one decision, computed from the resolution before anything runs. */
/**
 * A guardrail that runs on its own, and why: `policy` names the matched policy that adds it, or
 * `floor:<name>` when the namespace's floor makes it mandatory (then `floor` is that floor's name).
 */
type Standalone = { readonly guardrail: string; readonly policy: string; readonly floor?: string };

export type Plan = {
  readonly policies: readonly VersionRef[];
  readonly pipelines: readonly { readonly policy: string; readonly pipeline: Pipeline }[];
  readonly standalone: readonly Standalone[];
  readonly external: readonly string[];
  /** Effective guardrails with no Guardrail object: nothing says when or how they run. */
  readonly missing: readonly Standalone[];
};

/** The guardrail modes that run in a phase: `during_call` runs alongside the call, so before the answer. */
const runsIn = (spec: GuardrailSpec, phase: PipelineMode): boolean =>
  phase === 'pre_call' ? spec.mode === 'pre_call' || spec.mode === 'during_call' : spec.mode === 'post_call';

/**
 * Reference 2.7–2.8: pipelines of the matched policies (their own production version's), the
 * guardrails their steps manage, and the rest of the effective guardrails for this phase. With a
 * baseline resolution, its effective guardrails that its own pipelines do not manage stay
 * stand-alone even when a pipeline of the given context manages them. The namespace's floor
 * guardrails always run stand-alone, with their own failure policy, even where a pipeline manages
 * them: a step's `onFail: allow` cannot neutralise the floor.
 */
export function planDecision(
  view: NamespaceView,
  resolution: Resolution,
  baseline: Resolution | undefined,
  phase: PipelineMode,
): Plan {
  const matched: MatchedPolicy[] = [...resolution.matchedPolicies];
  for (const m of baseline?.matchedPolicies ?? []) {
    if (!matched.some((p) => p.policyName === m.policyName)) matched.push(m);
  }
  const pipelines = pipelinesOf(view, resolution.matchedPolicies);
  const unmanaged = (r: Resolution, managedBy: typeof pipelines) => {
    const managed = new Set(managedBy.flatMap((p) => p.pipeline.steps.map((s) => s.guardrail)));
    return r.effectiveGuardrails.filter((g) => !managed.has(g));
  };
  const names = new Set(unmanaged(resolution, pipelines));
  if (baseline)
    for (const g of unmanaged(baseline, pipelinesOf(view, baseline.matchedPolicies))) names.add(g);
  const floorOf = new Map<string, string>();
  for (const { guardrail, floor } of resolution.floor) {
    if (!floorOf.has(guardrail)) floorOf.set(guardrail, floor);
    names.add(guardrail);
  }

  const standalone: Standalone[] = [];
  const external: string[] = [];
  const missing: Standalone[] = [];
  for (const guardrail of [...names].sort()) {
    const floor = floorOf.get(guardrail);
    const entry: Standalone =
      floor === undefined
        ? { guardrail, policy: matched.find((p) => p.guardrailsAdded.includes(guardrail))?.policyName ?? '' }
        : { guardrail, policy: `floor:${floor}`, floor };
    const spec = view.guardrails.get(guardrail);
    if (!spec) missing.push(entry);
    else if (!runsIn(spec, phase)) continue;
    else if (spec.type === 'external') external.push(guardrail);
    else standalone.push(entry);
  }
  return {
    policies: matched.map((m) => m.versions[m.versions.length - 1] as VersionRef),
    pipelines: pipelines.filter((p) => p.pipeline.mode === phase),
    standalone,
    external,
    missing,
  };
}

function pipelinesOf(
  view: NamespaceView,
  matched: readonly MatchedPolicy[],
): { policy: string; pipeline: Pipeline }[] {
  return matched.flatMap((m) => {
    const chain = view.index.policies.get(m.policyName)?.chain;
    const pipeline = chain?.[chain.length - 1]?.content.pipeline;
    return pipeline ? [{ policy: m.policyName, pipeline }] : [];
  });
}
