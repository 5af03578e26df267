/**
 * Shadow runs: after production's answer is sent, the versions in shadow of the call's namespace
 * also decide the same call, each in the namespace as it would serve with that version in
 * production, through the same decision code, guardrail runners and worker pool (large contents
 * are checked there, as production's are). They never delay
 * or change the answer: `after` is called once the answer is written, and the runs themselves
 * start on a later turn of the event loop. Bounded: each version runs on its sample rate's share
 * of the calls it applies to, and past `maxConcurrent` runs in flight a due run is skipped and
 * counted. What a run finds is counted by the shadow recorder, never with message text.
 */
import type { RequestContext } from '../engine/index.ts';
import { resolve } from '../engine/index.ts';
import {
  type AnswerCache,
  answer,
  type NamespaceView,
  type ResolveAnswer,
  type Snapshot,
  shadowView,
} from '../registry/index.ts';
import type { ShadowRecorder, ShadowSubject, ShadowVerdict } from '../usage/index.ts';
import type { CallVerdicts } from './call-verdicts.ts';
import {
  type Decision,
  type DecisionInput,
  decideIn,
  type GuardrailRunners,
  type Verdict,
} from './decision.ts';
import { compareDecisions } from './shadow-compare.ts';

export type ShadowRunnerOptions = {
  readonly snapshot: () => Snapshot;
  readonly defaultNamespace: string;
  /** Production's runners: shadow runs check through the same compiled guardrails and pool. */
  readonly runners: GuardrailRunners;
  readonly recorder: ShadowRecorder;
  /** Budget of one shadow run, as of a production decision. */
  readonly deadlineMs: number;
  /** As production's `baselineContext`. */
  readonly baselineContext: boolean;
  /** Shadow runs in flight at once; past it a due run is skipped (and counted). */
  readonly maxConcurrent: number;
  /** Where production's resolve answers come from (they are cached there already). */
  readonly answers?: AnswerCache<ResolveAnswer>;
  /** In [0, 1): decides which calls are sampled. */
  readonly random: () => number;
  /** Milliseconds from any fixed origin. */
  readonly now: () => number;
  /** Runs work on a later turn of the event loop (after the answer has gone). */
  readonly defer: (work: () => void) => void;
  /** A shadow run that failed for a bug (it is counted as cannot_decide). */
  readonly onError?: (error: unknown) => void;
};

export const SHADOW_RUNNER_DEFAULTS = {
  maxConcurrent: 16,
  random: Math.random,
  now: () => performance.now(),
  defer: (work: () => void) => void setImmediate(work),
} as const;

export class ShadowRunner {
  readonly #o: ShadowRunnerOptions;
  #inFlight = 0;
  readonly #expected = new WeakMap<Snapshot, boolean>();
  #idle: (() => void)[] = [];

  constructor(
    options: Partial<ShadowRunnerOptions> & Omit<ShadowRunnerOptions, keyof typeof SHADOW_RUNNER_DEFAULTS>,
  ) {
    this.#o = { ...SHADOW_RUNNER_DEFAULTS, ...options };
  }

  /** Shadow runs in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Schedules the shadow runs due for a call production has answered with `production`: for each
   * version in shadow in the call's namespace whose policy applies to the call (in production or
   * in the shadow, itself or as a parent), sampled by its rate, within the cap. `input.context`
   * is bounded by the caller (`boundEnforcedContext`): the log of differing decisions keeps it.
   * Never throws.
   */
  after(input: DecisionInput, production: Decision, verdicts?: CallVerdicts): void {
    const ns = production.namespace;
    if (ns === null) return;
    const snapshot = this.#o.snapshot();
    const view = snapshot.namespaces.get(ns);
    if (view === undefined || view.shadows.length === 0) return;
    for (const target of view.shadows) {
      try {
        const shadowed = shadowView(view, target);
        const shadowResolution = resolve(shadowed.index, input.context);
        if (!this.#applies(snapshot, view, target.policy, input.context, shadowResolution.matchedPolicies))
          continue;
        if (this.#o.random() >= target.sampleRate) continue;
        const subject: ShadowSubject = {
          namespace: ns,
          policy: target.policy,
          policyId: target.version.policyId,
          versionNumber: target.version.versionNumber,
        };
        if (this.#inFlight >= this.#o.maxConcurrent) {
          this.#o.recorder.skipped(subject);
          continue;
        }
        this.#inFlight++;
        this.#o.defer(() => {
          void this.#run(subject, view, shadowed, shadowResolution, input, production, verdicts).finally(
            () => {
              this.#inFlight--;
              if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
            },
          );
        });
      } catch (err) {
        this.#o.onError?.(err);
      }
    }
  }

  /**
   * Whether a call answered now may have shadow runs: some namespace has a version in shadow.
   * Read per call (to decide whether to record its verdicts), worked out once per snapshot.
   */
  expects(): boolean {
    const snapshot = this.#o.snapshot();
    let any = this.#expected.get(snapshot);
    if (any === undefined) {
      any = false;
      for (const view of snapshot.namespaces.values()) if (view.shadows.length > 0) any = true;
      this.#expected.set(snapshot, any);
    }
    return any;
  }

  /** Resolves once no shadow run is in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((ok) => this.#idle.push(ok));
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
      {
        defaultNamespace: this.#o.defaultNamespace,
        ...(this.#o.answers ? { cache: this.#o.answers } : {}),
      },
    );
    return production.ok && uses(production.value.matchedPolicies);
  }

  async #run(
    subject: ShadowSubject,
    view: NamespaceView,
    shadowed: NamespaceView,
    resolution: ReturnType<typeof resolve>,
    input: DecisionInput,
    production: Decision,
    verdicts: CallVerdicts | undefined,
  ): Promise<void> {
    const started = this.#o.now();
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
        { deadlineMs: this.#o.deadlineMs, now: this.#o.now, deadline: deadline.signal, started },
      );
      shadow = { ...decided, durationMs: this.#o.now() - started };
    } catch (err) {
      this.#o.onError?.(err);
      shadow = {
        verdict: { kind: 'cannot_decide', reason: 'internal error' },
        namespace: view.namespace,
        policies: [],
        guardrails: [],
        external: [],
        durationMs: this.#o.now() - started,
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
