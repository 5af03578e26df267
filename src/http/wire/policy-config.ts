/**
 * A policy as LiteLLM's config (and `POST /policy/validate`) writes it: `guardrails: {add,
 * remove}` (or a list, meaning add), `inherit`, `description`, `condition: {model}` (a string or a
 * list), `pipeline` (snake_case, `mode` defaulting to `pre_call`), and the validation answer
 * (`PolicyValidationResponse`).
 */
import {
  type Checked,
  type Issue,
  type IssueCode,
  type PolicyContent,
  renderIssue,
} from '../../engine/index.ts';
import { validatePipeline } from './pipeline.ts';
import { BOOLEAN, object, STRING } from './schema.ts';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * One policy of a config's `policies:` map as content. Fails (issues with paths under `path`) for
 * what LiteLLM's parser refuses: a field of the wrong type, a bad pipeline. Keys LiteLLM does not
 * read (`statements`, `scope`…) are ignored, as it does.
 */
export function fromLitellmPolicyConfig(raw: unknown, path: string): Checked<PolicyContent> {
  const issues: Issue[] = [];
  const issue = (at: string, message: string) =>
    issues.push({ code: 'invalid_syntax', severity: 'error', path: at, message });
  const p = raw === null || raw === undefined ? {} : raw;
  if (!isRecord(p)) {
    issue(path, 'must be a mapping (description, inherit, guardrails, condition, pipeline)');
    return { ok: false, issues };
  }
  const g = p.guardrails;
  let add: string[] = [];
  let remove: string[] = [];
  if (isStrings(g)) add = g;
  else if (isRecord(g)) {
    if (g.add !== undefined && g.add !== null && !isStrings(g.add))
      issue(`${path}.guardrails.add`, 'must be a list of names');
    else add = (g.add as string[] | null | undefined) ?? [];
    if (g.remove !== undefined && g.remove !== null && !isStrings(g.remove))
      issue(`${path}.guardrails.remove`, 'must be a list of names');
    else remove = (g.remove as string[] | null | undefined) ?? [];
  } else if (g !== undefined && g !== null)
    issue(`${path}.guardrails`, 'must be {add, remove} or a list of names');
  for (const field of ['inherit', 'description'] as const) {
    const v = p[field];
    if (v !== undefined && v !== null && typeof v !== 'string') issue(`${path}.${field}`, 'must be a string');
  }
  let model: string | string[] | undefined;
  if (p.condition !== undefined && p.condition !== null) {
    if (!isRecord(p.condition)) issue(`${path}.condition`, 'must be a mapping with model');
    else {
      const m = p.condition.model;
      if (typeof m === 'string' || isStrings(m)) model = m;
      else if (m !== undefined && m !== null)
        issue(`${path}.condition.model`, 'must be a string or a list of strings');
    }
  }
  let pipeline: PolicyContent['pipeline'];
  if (p.pipeline !== undefined && p.pipeline !== null) {
    const checked = validatePipeline(
      isRecord(p.pipeline) ? { mode: 'pre_call', ...p.pipeline } : p.pipeline,
      `${path}.pipeline`,
    );
    if (checked.ok) pipeline = checked.value;
    else issues.push(...checked.issues);
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      ...(typeof p.description === 'string' && p.description !== '' ? { description: p.description } : {}),
      ...(typeof p.inherit === 'string' && p.inherit !== '' ? { inherit: p.inherit } : {}),
      guardrails: { add: [...new Set(add)].sort(), remove: [...new Set(remove)].sort() },
      ...(model !== undefined ? { condition: { model } } : {}),
      ...(pipeline ? { pipeline } : {}),
    },
  };
}

const VALIDATION_ERROR_TYPES = [
  'invalid_guardrail',
  'invalid_team',
  'invalid_key',
  'invalid_model',
  'invalid_inheritance',
  'circular_inheritance',
  'invalid_scope',
  'invalid_syntax',
] as const;
type ErrorType = (typeof VALIDATION_ERROR_TYPES)[number];

/** Railyard's issue codes in LiteLLM's `error_type` vocabulary. */
const ERROR_TYPE: Readonly<Record<IssueCode, ErrorType>> = {
  invalid_schema: 'invalid_syntax',
  invalid_syntax: 'invalid_syntax',
  invalid_inheritance: 'invalid_inheritance',
  circular_inheritance: 'circular_inheritance',
  inheritance_too_deep: 'circular_inheritance',
  invalid_regex: 'invalid_syntax',
  invalid_scope: 'invalid_scope',
  invalid_guardrail: 'invalid_guardrail',
  invalid_pipeline: 'invalid_guardrail',
  duplicate_object: 'invalid_syntax',
  duplicate_name: 'invalid_syntax',
  invalid_floor: 'invalid_syntax',
  mandatory_guardrail: 'invalid_guardrail',
};

const VALIDATION_ERROR = object(
  {
    policy_name: STRING,
    error_type: { enum: VALIDATION_ERROR_TYPES },
    message: STRING,
    field: { type: ['string', 'null'] },
    value: { type: ['string', 'null'] },
  },
  ['policy_name', 'error_type', 'message', 'field', 'value'],
);

/** `PolicyValidateRequest`: `{policies: {name: policy}}` (other fields are refused, as LiteLLM does). */
export const POLICY_VALIDATE_REQUEST = object(
  { policies: { type: 'object', additionalProperties: {}, maxProperties: 1000 } },
  ['policies'],
);

export const POLICY_VALIDATION_RESPONSE = object(
  {
    valid: BOOLEAN,
    errors: { type: 'array', items: VALIDATION_ERROR },
    warnings: { type: 'array', items: VALIDATION_ERROR },
  },
  ['valid', 'errors', 'warnings'],
);

/** One policy's issues as LiteLLM's validation items: `field` is the path without `spec.`. */
export function toWireValidation(
  checked: readonly { readonly name: string; readonly issues: readonly Issue[] }[],
) {
  const item = (name: string, i: Issue) => ({
    policy_name: name,
    error_type: ERROR_TYPE[i.code],
    message:
      i.code === 'invalid_syntax' && !i.path.startsWith('spec')
        ? `Failed to parse policy: ${renderIssue(i)}`
        : i.message,
    field: i.path === '' ? null : i.path.replace(/^spec\./, ''),
    value: null,
  });
  const errors = checked.flatMap((c) =>
    c.issues.filter((i) => i.severity === 'error').map((i) => item(c.name, i)),
  );
  const warnings = checked.flatMap((c) =>
    c.issues.filter((i) => i.severity === 'warning').map((i) => item(c.name, i)),
  );
  return { valid: errors.length === 0, errors, warnings };
}
