/**
 * The proxy-independent enforcement decision: which policies apply to a request, what their
 * pipelines and remaining guardrails say about the messages of one phase, and the one verdict a
 * proxy acts on. No wire types: the LiteLLM and agentgateway adapters translate to and from this.
 */

import {
  boundEnforcedContext,
  type GuardrailVerdict,
  type Message,
  type PipelineMode,
  type RequestContext,
  type Resolution,
  type RunGuardrail,
  type VersionRef,
} from '../engine/index.ts';
import { type CheckPool, createGuardrailRunner } from '../guardrails/index.ts';
import {
  type AnswerCache,
  type AnswerOptions,
  answer,
  type NamespaceView,
  type ResolveAnswer,
  type Snapshot,
} from '../registry/index.ts';
import type { CallVerdicts } from './call-verdicts.ts';
import { planDecision } from './decision-plan.ts';
import { runPlan } from './run-plan.ts';

export type Phase = PipelineMode;

export type DecisionInput = {
  /** Undefined: the only namespace served, else the default one. */
  readonly namespace?: string;
  readonly context: RequestContext;
  readonly phase: Phase;
  /** The request messages at pre_call, the response messages at post_call. */
  readonly messages: readonly Message[];
};

/**
 * `mask.messages` has one message per input message, in order, with the same roles; only contents
 * differ. `modify_response` is a pipeline's answer in place of the model's: LiteLLM gives the
 * caller `message` as the completion. `cannot_decide` means "let the proxy's own fail-open/closed
 * setting apply".
 */
export type Verdict =
  | { readonly kind: 'allow' }
  | { readonly kind: 'block'; readonly message: string; readonly policy: string; readonly guardrail?: string }
  | {
      readonly kind: 'modify_response';
      readonly message: string;
      readonly policy: string;
      readonly guardrail?: string;
    }
  | { readonly kind: 'mask'; readonly messages: readonly Message[] }
  | { readonly kind: 'cannot_decide'; readonly reason: string };

/** One guardrail that ran: never its detail, which may quote the checked text. */
export type GuardrailRun = {
  readonly guardrail: string;
  /**
   * `pipeline:<policy>` for a pipeline step, `policy:<policy>` for a guardrail run on its own,
   * `floor:<floor>` for a guardrail the namespace's floor makes mandatory.
   */
  readonly via: string;
  readonly outcome: GuardrailVerdict['outcome'];
  /** The guardrail rewrote the messages (and the rewrite was kept). */
  readonly masked: boolean;
  readonly durationMs: number;
};

export type Decision = {
  readonly verdict: Verdict;
  readonly namespace: string | null;
  /** The matched policies (with the baseline context's, when enabled), each at its production version. */
  readonly policies: readonly VersionRef[];
  readonly guardrails: readonly GuardrailRun[];
  /** `external` guardrails that apply to this phase: the proxy runs them, Railyard only reports them. */
  readonly external: readonly string[];
  readonly durationMs: number;
};

export type DeciderOptions = {
  readonly snapshot: () => Snapshot;
  /** False until the sources delivered their first view: no decision before that. */
  readonly synced: () => boolean;
  readonly defaultNamespace: string;
  /** Budget for one whole decision; past it the verdict is `cannot_decide`. */
  readonly deadlineMs: number;
  /** Decisions running at once; one more is `cannot_decide` at once. */
  readonly maxConcurrent: number;
  /**
   * Also resolve the context with team and key cleared, and run its stand-alone guardrails even
   * where a pipeline of the given context manages them: a spoofed team or key header can then
   * never take the global, model and tag guardrails out of force.
   */
  readonly baselineContext: boolean;
  /** Milliseconds from any fixed origin. */
  readonly now: () => number;
  /** The HTTP client of `webhook` guardrails. */
  readonly fetch?: typeof fetch;
  /** Where repeat resolutions come from (the server's one answer cache); without one each decision computes. */
  readonly answers?: AnswerCache<ResolveAnswer>;
  /**
   * Worker threads for the checks (see `CheckPool`): large contents are checked there, so the
   * deadline holds for them (an overrun check is terminated) and the event loop stays free.
   * Without one, every check runs on the event loop.
   */
  readonly pool?: CheckPool;
  /** The compiled guardrails of each namespace view, shared with shadow runs; its own when absent. */
  readonly runners?: GuardrailRunners;
};

/**
 * One guardrail runner per namespace view (its catalog compiled once), for every decision on the
 * event loop that runs in it: production's, and shadow runs' when there are no worker threads.
 */
export class GuardrailRunners {
  readonly #opts: Pick<DeciderOptions, 'fetch' | 'pool'>;
  readonly #runners = new WeakMap<NamespaceView['guardrails'], RunGuardrail>();

  constructor(opts: Pick<DeciderOptions, 'fetch' | 'pool'> = {}) {
    this.#opts = opts;
  }

  /** The runner of the view's guardrail catalog (views that share a catalog share a runner). */
  of(view: NamespaceView): RunGuardrail {
    let run = this.#runners.get(view.guardrails);
    if (!run) {
      run = createGuardrailRunner(view.guardrails, {
        ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
        ...(this.#opts.pool ? { pool: this.#opts.pool } : {}),
      });
      this.#runners.set(view.guardrails, run);
    }
    return run;
  }
}

export const DECIDER_DEFAULTS = {
  deadlineMs: 2_000,
  maxConcurrent: 256,
  baselineContext: false,
  now: () => performance.now(),
} as const;

/**
 * Decides one call. With `verdicts`, each guardrail's verdict is recorded there too, for the
 * call's shadow runs to reuse.
 */
export type Decide = (input: DecisionInput, verdicts?: CallVerdicts) => Promise<Decision>;

/**
 * Builds the decision function. A decision resolves the production policies of the context (the
 * `/v1/resolve` engine), runs, in matched order, the pipelines whose mode is the phase (the first
 * non-allow result decides; a pipeline's rewrite carries to the next), then every effective
 * guardrail no pipeline manages whose Guardrail `mode` is the phase (`during_call` counts as
 * `pre_call`), in name order, carrying rewrites. A guardrail's error is what its failurePolicy
 * says (open passes, closed blocks). Never rejects and never allows by accident: overload, the
 * deadline, an unsynced registry, an unknown namespace, a guardrail missing from the catalog, a
 * rewrite that changes the number of messages, and any internal error are `cannot_decide`.
 */
export function createDecider(
  options: Partial<DeciderOptions> & Omit<DeciderOptions, keyof typeof DECIDER_DEFAULTS>,
): Decide {
  const opts: DeciderOptions = { ...DECIDER_DEFAULTS, ...options };
  const answering: AnswerOptions = {
    defaultNamespace: opts.defaultNamespace,
    ...(opts.answers ? { cache: opts.answers } : {}),
  };
  const runners =
    opts.runners ??
    new GuardrailRunners({
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.pool ? { pool: opts.pool } : {}),
    });
  const runnerFor = (view: NamespaceView): RunGuardrail => runners.of(view);
  let inFlight = 0;

  return async (input, verdicts) => {
    const started = opts.now();
    const done = (partial: Omit<Decision, 'durationMs'>): Decision => ({
      ...partial,
      durationMs: opts.now() - started,
    });
    if (inFlight >= opts.maxConcurrent) {
      return done(undecided(`overloaded: ${opts.maxConcurrent} decisions already running`));
    }
    inFlight++;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), opts.deadlineMs);
    try {
      const run = (view: NamespaceView): RunGuardrail =>
        verdicts ? verdicts.recording(runnerFor(view), view.guardrails) : runnerFor(view);
      return done(await decideOnce(input, opts, answering, run, deadline.signal, started));
    } catch (err) {
      return done(undecided(`internal error: ${err instanceof Error ? err.message : String(err)}`));
    } finally {
      clearTimeout(timer);
      inFlight--;
    }
  };
}

const undecided = (reason: string, namespace: string | null = null): Omit<Decision, 'durationMs'> => ({
  verdict: { kind: 'cannot_decide', reason },
  namespace,
  policies: [],
  guardrails: [],
  external: [],
});

async function decideOnce(
  input: DecisionInput,
  opts: DeciderOptions,
  answering: AnswerOptions,
  runnerFor: (view: NamespaceView) => RunGuardrail,
  deadline: AbortSignal,
  started: number,
): Promise<Omit<Decision, 'durationMs'>> {
  if (!opts.synced()) return undecided('policies are not loaded yet (initial sync not finished)');
  const { context, overflow } = boundEnforcedContext(input.context);
  if (overflow) return undecided(overflow);
  const snapshot = opts.snapshot();
  const resolved = answer('resolve', snapshot, { ...input, context }, answering);
  // The reason reaches the proxy's caller: it names the namespace asked for, not those served.
  if (!resolved.ok) return undecided(`namespace "${resolved.requested}" is not served here`);
  const view = resolved.view;
  if (!view)
    return { verdict: { kind: 'allow' }, namespace: null, policies: [], guardrails: [], external: [] };

  const baseline = opts.baselineContext
    ? resolvedIn(snapshot, view, { ...context, teamAlias: null, keyAlias: null }, answering)
    : undefined;
  return decideIn(
    { view, resolution: resolved.value, baseline, input, run: runnerFor(view) },
    { deadlineMs: opts.deadlineMs, now: opts.now, deadline, started },
  );
}

/** What one decision in a namespace runs on: the view, its resolution(s), the messages, the runner. */
export type DecisionCase = {
  readonly view: NamespaceView;
  readonly resolution: Resolution;
  /** The baseline context's resolution (`--enforce-baseline-context`). */
  readonly baseline: Resolution | undefined;
  readonly input: DecisionInput;
  readonly run: RunGuardrail;
};

/** The budget of one decision: its deadline signal, its length, when it started, the clock. */
export type DecisionBudget = {
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly deadline: AbortSignal;
  readonly started: number;
};

/**
 * The verdict for one resolved case: the plan (pipelines, stand-alone guardrails, the floor) run
 * on the messages. Production's decisions and shadow runs alike come through here. Never rejects
 * for a guardrail's failure (its outcome is the verdict); rejects only on a bug.
 */
export async function decideIn(
  { view, resolution, baseline, input, run }: DecisionCase,
  budget: DecisionBudget,
): Promise<Omit<Decision, 'durationMs'>> {
  return runPlan(planDecision(view, resolution, baseline, input.phase), view.namespace, input, run, budget);
}

/** The resolution of `context` in the namespace of `view` (served: it was just chosen from this snapshot). */
function resolvedIn(
  snapshot: Snapshot,
  view: NamespaceView,
  context: RequestContext,
  answering: AnswerOptions,
): Resolution | undefined {
  const resolved = answer('resolve', snapshot, { namespace: view.namespace, context }, answering);
  return resolved.ok ? resolved.value : undefined;
}
