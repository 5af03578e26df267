/**
 * Shadow runs, the deciding side: for a call production has answered, each version in shadow that
 * was sampled for it decides the same call, in the namespace as it would serve with that version
 * in production, through the same decision code and guardrail runners, wherever its policy takes
 * part in the call (in production or in the shadow, itself or as a parent). What a run finds is
 * counted by the recorder, never with message text. In `railyard serve` this runs on the shadow
 * thread (`shadow-worker.ts`), fed by `ShadowDispatcher`: never on the event loop that answers.
 */
import type { RequestContext } from '../engine/index.ts';
import { resolve } from '../engine/index.ts';
import {
  AnswerCache,
  answer,
  type NamespaceView,
  type ResolveAnswer,
  type Snapshot,
  shadowView,
} from '../registry/index.ts';
import type { ShadowRun, ShadowSubject, ShadowVerdict } from '../usage/index.ts';
import type { CallVerdicts } from './call-verdicts.ts';
import {
  type Decision,
  type DecisionInput,
  decideIn,
  type GuardrailRunners,
  type Verdict,
} from './decision.ts';
import { compareDecisions } from './shadow-compare.ts';

/** One answered call and the versions in shadow sampled for it. */
export type ShadowCall = {
  /** `input.context` is bounded by the caller (`boundEnforcedContext`): the log of differences keeps it. */
  readonly input: DecisionInput;
  /** Production's decision; its namespace is the one the shadows run in. */
  readonly production: Decision;
  /** The versions in shadow sampled for this call, by policy name. */
  readonly policies: readonly string[];
  /** Production's guardrail verdicts, re-used wherever the shadow asks the same. */
  readonly verdicts?: CallVerdicts | undefined;
};

export type ShadowRunnerOptions = {
  readonly snapshot: () => Snapshot;
  readonly defaultNamespace: string;
  readonly runners: GuardrailRunners;
  readonly recorder: { record(run: ShadowRun): void };
  /** Budget of one shadow run, as of a production decision. */
  readonly deadlineMs: number;
  /** As production's `baselineContext`. */
  readonly baselineContext: boolean;
  /** Milliseconds from any fixed origin. */
  readonly now?: () => number;
  /** A shadow run that failed for a bug (it is counted as cannot_decide). */
  readonly onError?: (error: unknown) => void;
};

/** The subject a version in shadow is counted under. */
export const shadowSubject = (target: NamespaceView['shadows'][number]): ShadowSubject => ({
  namespace: target.namespace,
  policy: target.policy,
  policyId: target.version.policyId,
  versionNumber: target.version.versionNumber,
});

export class ShadowRunner {
  readonly #o: ShadowRunnerOptions;
  readonly #now: () => number;
  /** Production's resolve answers, for telling whether a policy takes part in a call. */
  readonly #answers = new AnswerCache<ResolveAnswer>();

  constructor(options: ShadowRunnerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Runs the call's sampled versions in shadow; resolves once all have been counted. Never rejects. */
  async run(call: ShadowCall): Promise<void> {
    const ns = call.production.namespace;
    if (ns === null) return;
    const snapshot = this.#o.snapshot();
    const view = snapshot.namespaces.get(ns);
    if (view === undefined) return;
    const runs: Promise<void>[] = [];
    for (const target of view.shadows) {
      if (!call.policies.includes(target.policy)) continue;
      try {
        const shadowed = shadowView(view, target);
        const resolution = resolve(shadowed.index, call.input.context);
        if (!this.#applies(snapshot, view, target.policy, call.input.context, resolution.matchedPolicies))
          continue;
        runs.push(this.#run(shadowSubject(target), view, shadowed, resolution, call));
      } catch (err) {
        this.#o.onError?.(err);
      }
    }
    await Promise.all(runs);
  }

  /** Whether the policy takes part in the call: matched, or a parent of a matched one, on either side. */
  #applies(
    snapshot: Snapshot,
    view: NamespaceView,
    policy: string,
    context: RequestContext,
    inShadow: readonly { readonly versions: readonly { readonly policyName: string }[] }[],
  ): boolean {
    const uses = (matched: typeof inShadow) =>
      matched.some((m) => m.versions.some((v) => v.policyName === policy));
    if (uses(inShadow)) return true;
    const production = answer(
      'resolve',
      snapshot,
      { namespace: view.namespace, context },
      { defaultNamespace: this.#o.defaultNamespace, cache: this.#answers },
    );
    return production.ok && uses(production.value.matchedPolicies);
  }

  async #run(
    subject: ShadowSubject,
    view: NamespaceView,
    shadowed: NamespaceView,
    resolution: ReturnType<typeof resolve>,
    call: ShadowCall,
  ): Promise<void> {
    const { input, production, verdicts } = call;
    const started = this.#now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#o.deadlineMs);
    let shadow: Decision;
    const run = this.#o.runners.of(view);
    try {
      const baseline = this.#o.baselineContext
        ? resolve(shadowed.index, { ...input.context, teamAlias: null, keyAlias: null })
        : undefined;
      const decided = await decideIn(
        {
          view: shadowed,
          resolution,
          baseline,
          input,
          run: verdicts ? verdicts.reusing(run, view.guardrails) : run,
        },
        { deadlineMs: this.#o.deadlineMs, now: this.#now, deadline: deadline.signal, started },
      );
      shadow = { ...decided, durationMs: this.#now() - started };
    } catch (err) {
      this.#o.onError?.(err);
      shadow = {
        verdict: { kind: 'cannot_decide', reason: 'internal error' },
        namespace: view.namespace,
        policies: [],
        guardrails: [],
        external: [],
        durationMs: this.#now() - started,
      };
    } finally {
      clearTimeout(timer);
    }
    const compared = compareDecisions(production, shadow);
    const ctx = input.context;
    this.#o.recorder.record({
      subject,
      result: compared.result,
      ...(compared.guardrail === undefined ? {} : { guardrail: compared.guardrail }),
      production: kindOf(production.verdict),
      shadow: kindOf(shadow.verdict),
      shadowErrors: compared.shadowErrors,
      context: {
        team: ctx.teamAlias ?? null,
        key: ctx.keyAlias ?? null,
        model: ctx.model ?? null,
        tags: ctx.tags ?? [],
      },
    });
  }
}

const kindOf = (v: Verdict): ShadowVerdict => v.kind;
