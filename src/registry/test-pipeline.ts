/**
 * The pipeline test, one code path for `POST /policies/test-pipeline` and the CLI's
 * `railyard test-pipeline --policy NAME --message ...`: the real executor with the namespace's
 * guardrail catalog, under a pipeline-wide deadline.
 */
import {
  executePipeline,
  type Message,
  type Pipeline,
  type PipelineMode,
  type PipelineResult,
  productionVersion,
  type Result,
} from '../engine/index.ts';
import { type CheckPool, createGuardrailRunner } from '../guardrails/index.ts';
import type { NamespaceView } from './snapshot.ts';

/** A pipeline given inline, or the pipeline of a policy's production version in the namespace. */
export type PipelineTarget = { readonly pipeline: Pipeline } | { readonly policy: string };

export type TestPipelineOptions = {
  /** Budget for the whole run; a step still running then is aborted and counts as `error`. */
  readonly deadlineMs: number;
  /** Milliseconds from any fixed origin, for step durations. */
  readonly now: () => number;
  /** The caller giving up (a closed connection, Ctrl-C). */
  readonly signal?: AbortSignal;
  /** The HTTP client of `webhook` guardrails. */
  readonly fetch?: typeof fetch;
  /**
   * Call `webhook` guardrails (true by default). The HTTP route sets it only for admin tokens: a
   * reader's webhook steps answer `error` saying an admin token is needed, like `external` ones.
   */
  readonly runWebhooks?: boolean;
  /** Worker threads for large contents (the server's); without one, checks run inline. */
  readonly pool?: CheckPool;
};

const DEFAULTS = { deadlineMs: 5_000, now: () => performance.now() } as const;

/**
 * Runs the target pipeline on `messages` with the guardrails of `view` (none when undefined: every
 * step then errors with `Guardrail '<name>' not found`, as in the reference). A `pre_call` pipeline
 * checks them as the request; a `post_call` pipeline checks them as the model's response (the
 * reference passes no response at all). Errors: `not_found` for an unknown policy or one with no
 * production version, `bad_request` for a policy without a pipeline. Never rejects; a guardrail
 * that throws or overruns the deadline is an `error` step.
 */
export async function runTestPipeline(
  view: NamespaceView | undefined,
  target: PipelineTarget,
  messages: readonly Message[],
  options: Partial<TestPipelineOptions> = {},
): Promise<Result<PipelineResult>> {
  const opts = { ...DEFAULTS, ...options };
  const pipeline =
    'pipeline' in target ? { ok: true as const, value: target.pipeline } : pipelineOf(view, target.policy);
  if (!pipeline.ok) return pipeline;
  const run = createGuardrailRunner(view?.guardrails ?? new Map(), {
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.pool ? { pool: opts.pool } : {}),
    ...(opts.runWebhooks === false ? { runWebhooks: false } : {}),
  });
  const result = await executePipeline(pipeline.value, { messages }, run, {
    now: opts.now,
    deadlineMs: opts.deadlineMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { ok: true, value: result };
}

function pipelineOf(view: NamespaceView | undefined, name: string): Result<Pipeline> {
  const history = view?.histories.find((h) => h.name === name && h.active);
  const version = history && productionVersion(history);
  if (!version) return { ok: false, error: { code: 'not_found', message: `Policy '${name}' not found` } };
  const pipeline = version.content.pipeline;
  if (!pipeline) {
    return {
      ok: false,
      error: {
        code: 'bad_request',
        message: `Policy '${name}' (version ${version.versionNumber}) has no pipeline; add spec.pipeline or test an inline pipeline`,
      },
    };
  }
  return { ok: true, value: pipeline };
}

/** What `POST /utils/test_policies_and_guardrails` applies: policies' guardrails and named ones. */
export type GuardrailSelection = {
  readonly policies: readonly string[];
  readonly guardrails: readonly string[];
};

export type AppliedGuardrails = {
  /** The texts after every masking guardrail, one per text given. */
  readonly texts: readonly string[];
  /** Each guardrail that failed (blocked) or errored, with its detail, in the order run. */
  readonly errors: readonly { readonly guardrail: string; readonly message: string }[];
};

/**
 * Runs, in name order, every guardrail `selection` names: those of each policy's production chain
 * (no request context; an unknown policy adds none) and those named directly, on `texts` as one
 * request (`pre_call`) or response (`post_call`). Every guardrail runs: a failure or an error is
 * collected, not a stop; a mask carries to the next. Guardrails missing from the catalog, or that
 * only the proxy runs (`external`), are skipped, as LiteLLM skips guardrails it has not loaded.
 * It is the pipeline executor of `runTestPipeline`, on a pipeline of one `next` step per guardrail
 * with `passData`. Never rejects.
 */
export async function applyGuardrails(
  view: NamespaceView | undefined,
  selection: GuardrailSelection,
  texts: readonly string[],
  mode: PipelineMode,
  options: Partial<TestPipelineOptions> = {},
): Promise<AppliedGuardrails> {
  const names = new Set(selection.guardrails);
  for (const p of selection.policies)
    for (const g of view?.index.policies.get(p)?.guardrails ?? []) names.add(g);
  const runnable = [...names].filter((g) => {
    const spec = view?.guardrails.get(g);
    return spec !== undefined && spec.type !== 'external';
  });
  runnable.sort();
  if (runnable.length === 0) return { texts, errors: [] };
  const role = mode === 'pre_call' ? 'user' : 'assistant';
  const pipeline: Pipeline = {
    mode,
    steps: runnable.map((guardrail) => ({
      guardrail,
      onPass: 'next',
      onFail: 'next',
      onError: 'next',
      passData: true,
    })),
  };
  const run = await runTestPipeline(
    view,
    { pipeline },
    texts.map((content) => ({ role, content })),
    options,
  );
  if (!run.ok) return { texts, errors: [] };
  const out = run.value;
  return {
    texts: out.modifiedData ? out.modifiedData.messages.map((m) => m.content) : texts,
    errors: out.stepResults
      .filter((s) => s.outcome !== 'pass')
      .map((s) => ({ guardrail: s.guardrailName, message: s.errorDetail ?? s.outcome })),
  };
}
