/**
 * The pipeline executor. Pure: guardrails come in as a `RunGuardrail`, time as
 * `now`. The one scheduling dependency is a timer that enforces the pipeline-wide deadline.
 */
import type { Pipeline, PipelineMode, PipelineStep, StepAction } from './types.ts';
import { assertNever } from './types.ts';

export type Message = { readonly role: string; readonly content: string };

/** What a step sees: the request messages at pre_call, the response messages at post_call. */
export type PipelineData = { readonly messages: readonly Message[] };

/** What a guardrail found, without the sensitive value itself, e.g. `{ type: 'EMAIL', redacted: 'j***@e***.com' }`. */
export type Finding = { readonly type: string; readonly redacted: string };

/**
 * The answer of one guardrail on one piece of data. `modified` is the data the guardrail rewrote
 * (masked); a `pass` may carry a `detail` note (e.g. an error let through by failure policy `open`).
 */
export const GUARDRAIL_OUTCOMES = ['pass', 'fail', 'error'] as const;

export type GuardrailVerdict =
  | { readonly outcome: 'pass'; readonly modified?: PipelineData; readonly detail?: string }
  | {
      readonly outcome: 'fail';
      readonly detail: string;
      readonly modified?: PipelineData;
      readonly findings?: readonly Finding[];
    }
  | { readonly outcome: 'error'; readonly detail: string };

/**
 * Runs one guardrail by name. It should stop work when `signal` aborts; it may reject, which the
 * executor counts as an `error` outcome.
 */
export type RunGuardrail = (
  name: string,
  mode: PipelineMode,
  data: PipelineData,
  signal: AbortSignal,
) => Promise<GuardrailVerdict>;

export const TERMINAL_ACTIONS = ['allow', 'block', 'modify_response'] as const;
export type TerminalAction = (typeof TERMINAL_ACTIONS)[number];

export type StepResult = {
  readonly guardrailName: string;
  readonly outcome: GuardrailVerdict['outcome'];
  readonly actionTaken: StepAction;
  readonly modifiedData?: PipelineData;
  /** The verdict's detail: why it failed or errored, or the note on a pass. */
  readonly errorDetail?: string;
  readonly findings?: readonly Finding[];
  /** Wall time of the step, rounded to 4 decimals. */
  readonly durationSeconds: number;
};

export type PipelineResult = {
  readonly terminalAction: TerminalAction;
  readonly stepResults: readonly StepResult[];
  /** The data after every carried modification, only when it differs from the input. */
  readonly modifiedData?: PipelineData;
  /** On `block`: the detail of the deciding step (absent when `onPass: block` blocked). */
  readonly errorMessage?: string;
  /** On `modify_response`: the step's `modifyResponseMessage`, else the deciding fail/error detail. */
  readonly modifyResponseMessage?: string;
};

export type ExecuteOptions = {
  /** Milliseconds from any fixed origin; used for step durations. */
  readonly now: () => number;
  /**
   * Budget for the whole pipeline, enforced by a timer: when it runs out the running step is
   * aborted (its signal fires) and counts as `error`, and so does every step after it.
   */
  readonly deadlineMs: number;
  /** The caller giving up (e.g. the client went away): handled like the deadline. */
  readonly signal?: AbortSignal;
};

/**
 * Runs the steps in order: the verdict picks `onPass`, `onFail` or `onError`
 * (unset: `onFail`); a step's `modified` data is carried to the next step when `passData` is set or
 * the mode is `post_call`; `allow`, `block` and `modify_response` end the run, `next` continues, and
 * running out of steps allows. Never rejects: a guardrail that throws, is aborted or overruns the
 * deadline gives an `error` outcome with its detail. Deterministic given the verdicts and `now`.
 */
export async function executePipeline(
  pipeline: Pipeline,
  data: PipelineData,
  run: RunGuardrail,
  opts: ExecuteOptions,
): Promise<PipelineResult> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.deadlineMs);
  try {
    return await executeSteps(pipeline, data, run, opts, deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function executeSteps(
  pipeline: Pipeline,
  data: PipelineData,
  run: RunGuardrail,
  opts: ExecuteOptions,
  deadline: AbortSignal,
): Promise<PipelineResult> {
  const stepResults: StepResult[] = [];
  let working = data;
  const finish = (terminalAction: TerminalAction, extra: Partial<PipelineResult> = {}): PipelineResult => {
    const modified = sameData(working, data) ? {} : { modifiedData: working };
    return { terminalAction, stepResults, ...modified, ...extra };
  };

  for (const step of pipeline.steps) {
    const started = opts.now();
    const verdict = await runStep(step, pipeline.mode, working, run, deadline, opts);
    const action = actionFor(step, verdict.outcome);
    const detail = verdict.detail;
    const failDetail = verdict.outcome === 'pass' ? undefined : verdict.detail;
    const modified = verdict.outcome === 'error' ? undefined : verdict.modified;
    const findings = verdict.outcome === 'fail' ? verdict.findings : undefined;
    stepResults.push({
      guardrailName: step.guardrail,
      outcome: verdict.outcome,
      actionTaken: action,
      ...(modified ? { modifiedData: modified } : {}),
      ...(detail !== undefined ? { errorDetail: detail } : {}),
      ...(findings ? { findings } : {}),
      durationSeconds: Math.round((opts.now() - started) * 10) / 10_000,
    });
    if (modified && (step.passData || pipeline.mode === 'post_call')) working = modified;

    switch (action) {
      case 'next':
        continue;
      case 'allow':
        return finish('allow');
      case 'block':
        return finish('block', failDetail !== undefined ? { errorMessage: failDetail } : {});
      case 'modify_response': {
        const message = step.modifyResponseMessage ?? failDetail;
        return finish('modify_response', message !== undefined ? { modifyResponseMessage: message } : {});
      }
      default:
        return assertNever(action);
    }
  }
  return finish('allow');
}

function actionFor(step: PipelineStep, outcome: GuardrailVerdict['outcome']): StepAction {
  switch (outcome) {
    case 'pass':
      return step.onPass;
    case 'fail':
      return step.onFail;
    case 'error':
      return step.onError ?? step.onFail;
    default:
      return assertNever(outcome);
  }
}

/** Runs one step until it answers or `deadline`/the caller aborts; turns throws and aborts into `error`. */
async function runStep(
  step: PipelineStep,
  mode: PipelineMode,
  data: PipelineData,
  run: RunGuardrail,
  deadline: AbortSignal,
  opts: ExecuteOptions,
): Promise<GuardrailVerdict> {
  const overrun = {
    outcome: 'error',
    detail: `Pipeline deadline of ${opts.deadlineMs} ms exceeded`,
  } as const;
  const aborted = { outcome: 'error', detail: 'Pipeline aborted by the caller' } as const;
  const stop = (): GuardrailVerdict | undefined =>
    opts.signal?.aborted ? aborted : deadline.aborted ? overrun : undefined;
  const early = stop();
  if (early) return early;

  // One controller per step, tied to the deadline and the caller's signal by listeners that are
  // removed when the step ends (AbortSignal.any would keep every step's signal reachable from the
  // long-lived caller signal until a full garbage collection).
  const stepAbort = new AbortController();
  let settle: (v: GuardrailVerdict) => void = () => {};
  const stopped = new Promise<GuardrailVerdict>((resolve) => {
    settle = resolve;
  });
  const abort = (): void => {
    stepAbort.abort();
    settle(stop() ?? overrun);
  };
  deadline.addEventListener('abort', abort, { once: true });
  opts.signal?.addEventListener('abort', abort, { once: true });
  const ran = (async (): Promise<GuardrailVerdict> => {
    try {
      return await run(step.guardrail, mode, data, stepAbort.signal);
    } catch (err) {
      return { outcome: 'error', detail: err instanceof Error ? err.message : String(err) };
    }
  })();
  try {
    return await Promise.race([ran, stopped]);
  } finally {
    deadline.removeEventListener('abort', abort);
    opts.signal?.removeEventListener('abort', abort);
  }
}

function sameData(a: PipelineData, b: PipelineData): boolean {
  return (
    a === b ||
    (a.messages.length === b.messages.length &&
      a.messages.every((m, i) => m.role === b.messages[i]?.role && m.content === b.messages[i]?.content))
  );
}
