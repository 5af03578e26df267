/**
 * Pipelines on the wire: `GuardrailPipeline` as LiteLLM writes it, its check into
 * the engine's camelCase form, and the pipeline test's request and result.
 */
import {
  type Checked,
  GUARDRAIL_OUTCOMES,
  type Issue,
  PIPELINE_MODES,
  type Pipeline,
  type PipelineMode,
  type PipelineResult,
  type PipelineStep,
  STEP_ACTIONS,
  type StepAction,
  type StepResult,
  TERMINAL_ACTIONS,
} from '../../engine/index.ts';
import { type FromSchema, NULLABLE_STRING, object, orNull, STRING } from './schema.ts';

const NULLABLE_ACTION = { enum: [...STEP_ACTIONS, null] } as const;

export const PIPELINE_STEP = object(
  {
    guardrail: { type: 'string', minLength: 1 },
    on_pass: NULLABLE_ACTION,
    on_fail: NULLABLE_ACTION,
    on_error: NULLABLE_ACTION,
    pass_data: { type: ['boolean', 'null'] },
    modify_response_message: NULLABLE_STRING,
  },
  ['guardrail'],
);

/** `GuardrailPipeline`: as a request sends it (`null` or absent is the default) and as responses show it. */
export const GUARDRAIL_PIPELINE = object(
  { mode: { enum: PIPELINE_MODES }, steps: { type: 'array', minItems: 1, items: PIPELINE_STEP } },
  ['mode', 'steps'],
);
export type WirePipeline = FromSchema<typeof GUARDRAIL_PIPELINE>;

export const MESSAGE = object({ role: STRING, content: STRING }, ['role', 'content']);

export const PIPELINE_TEST_REQUEST = object(
  { pipeline: GUARDRAIL_PIPELINE, test_messages: { type: 'array', items: MESSAGE } },
  ['pipeline', 'test_messages'],
);

/** The pipeline is checked by `validatePipeline`, for LiteLLM's 400 `Invalid pipeline: ...`. */
export const PIPELINE_TEST_CHECKED_LATER = { pipeline: { type: 'object' } } as const;

const PIPELINE_DATA = object({ messages: { type: 'array', items: MESSAGE } }, ['messages']);

const STEP_RESULT = object(
  {
    guardrail_name: STRING,
    outcome: { enum: GUARDRAIL_OUTCOMES },
    action_taken: { enum: STEP_ACTIONS },
    modified_data: orNull(PIPELINE_DATA),
    error_detail: NULLABLE_STRING,
    duration_seconds: { type: 'number' },
    findings: { type: 'array', items: object({ type: STRING, redacted: STRING }, ['type', 'redacted']) },
  },
  ['guardrail_name', 'outcome', 'action_taken', 'modified_data', 'error_detail', 'duration_seconds'],
);

/** A dump of LiteLLM's `PipelineExecutionResult`: absent optional fields are `null`. */
export const PIPELINE_EXECUTION_RESULT = object(
  {
    terminal_action: { enum: TERMINAL_ACTIONS },
    step_results: { type: 'array', items: STEP_RESULT },
    modified_data: orNull(PIPELINE_DATA),
    error_message: NULLABLE_STRING,
    modify_response_message: NULLABLE_STRING,
  },
  ['terminal_action', 'step_results', 'modified_data', 'error_message', 'modify_response_message'],
);

/** Issues rendered for LiteLLM's 400 `Invalid pipeline: ...`. */
export function renderIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/** The engine's pipeline as LiteLLM writes it, every field present. */
export function toWirePipeline(p: Pipeline): WirePipeline {
  return {
    mode: p.mode,
    steps: p.steps.map((s) => ({
      guardrail: s.guardrail,
      on_pass: s.onPass,
      on_fail: s.onFail,
      on_error: s.onError ?? null,
      pass_data: s.passData,
      modify_response_message: s.modifyResponseMessage ?? null,
    })),
  };
}

function toWireStep(s: StepResult): FromSchema<typeof STEP_RESULT> {
  return {
    guardrail_name: s.guardrailName,
    outcome: s.outcome,
    action_taken: s.actionTaken,
    modified_data: s.modifiedData ?? null,
    error_detail: s.errorDetail ?? null,
    duration_seconds: s.durationSeconds,
    ...(s.findings ? { findings: s.findings } : {}),
  };
}

export function toWirePipelineResult(r: PipelineResult): FromSchema<typeof PIPELINE_EXECUTION_RESULT> {
  return {
    terminal_action: r.terminalAction,
    step_results: r.stepResults.map(toWireStep),
    modified_data: r.modifiedData ?? null,
    error_message: r.errorMessage ?? null,
    modify_response_message: r.modifyResponseMessage ?? null,
  };
}

const PIPELINE_FIELDS = ['mode', 'steps'];
const STEP_FIELDS = ['guardrail', 'on_pass', 'on_fail', 'on_error', 'pass_data', 'modify_response_message'];
const pyList = (xs: readonly string[]): string =>
  `[${[...xs]
    .sort()
    .map((x) => `'${x}'`)
    .join(', ')}]`;

/**
 * Checks a pipeline in LiteLLM's snake_case wire form (`mode`, `steps[{guardrail, on_pass, on_fail,
 * on_error, pass_data, modify_response_message}]`) and returns it in engine form with the reference
 * defaults (onPass `allow`, onFail `block`, passData false). `null` means unset for the optional
 * fields. Every problem is reported, each with a path under `path` (default `pipeline`) and the
 * reference's message where it has one. Unknown fields are rejected. Never throws.
 */
export function validatePipeline(raw: unknown, path = 'pipeline'): Checked<Pipeline> {
  const issues: Issue[] = [];
  const issue = (at: string, message: string) =>
    issues.push({ code: 'invalid_pipeline', severity: 'error', path: at, message });
  if (!isRecord(raw)) {
    issue(path, 'must be an object with `mode` and `steps`');
    return { ok: false, issues };
  }
  rejectUnknown(raw, PIPELINE_FIELDS, path, issue);

  const mode = raw.mode;
  if (mode === undefined || mode === null)
    issue(`${path}.mode`, `is required: one of ${pyList(PIPELINE_MODES)}`);
  else if (!PIPELINE_MODES.includes(mode as PipelineMode))
    issue(`${path}.mode`, `Invalid mode '${String(mode)}'. Must be one of: ${pyList(PIPELINE_MODES)}`);

  const steps: PipelineStep[] = [];
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) {
    issue(`${path}.steps`, 'must be a list with at least one step');
  } else {
    raw.steps.forEach((s: unknown, i: number) => {
      const step = validateStep(s, `${path}.steps[${i}]`, issue);
      if (step) steps.push(step);
    });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { mode: mode as PipelineMode, steps } };
}

function validateStep(
  raw: unknown,
  path: string,
  issue: (at: string, message: string) => void,
): PipelineStep | undefined {
  if (!isRecord(raw)) {
    issue(path, 'must be an object with at least `guardrail`');
    return undefined;
  }
  rejectUnknown(raw, STEP_FIELDS, path, issue);
  const { guardrail, pass_data: passData, modify_response_message: message } = raw;
  if (typeof guardrail !== 'string' || guardrail === '')
    issue(`${path}.guardrail`, 'is required: a guardrail name');
  if (passData !== undefined && passData !== null && typeof passData !== 'boolean')
    issue(`${path}.pass_data`, 'must be true or false');
  if (message !== undefined && message !== null && typeof message !== 'string')
    issue(`${path}.modify_response_message`, 'must be a string');
  const action = (field: string, fallback?: StepAction): StepAction | undefined => {
    const v = raw[field];
    if (v === undefined || v === null) return fallback;
    if (STEP_ACTIONS.includes(v as StepAction)) return v as StepAction;
    issue(`${path}.${field}`, `Invalid action '${String(v)}'. Must be one of: ${pyList(STEP_ACTIONS)}`);
    return fallback;
  };
  const onPass = action('on_pass', 'allow') ?? 'allow';
  const onFail = action('on_fail', 'block') ?? 'block';
  const onError = action('on_error');
  return {
    guardrail: String(guardrail),
    onPass,
    onFail,
    ...(onError ? { onError } : {}),
    passData: passData === true,
    ...(typeof message === 'string' ? { modifyResponseMessage: message } : {}),
  };
}

function rejectUnknown(
  raw: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  issue: (at: string, message: string) => void,
): void {
  for (const key of Object.keys(raw).sort()) {
    if (!allowed.includes(key)) issue(`${path}.${key}`, `unknown field; allowed: ${allowed.join(', ')}`);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
