/**
 * `PolicyTest` documents (apiVersion railyard.dev/v1alpha1, not a CRD: only the CLI reads them):
 * golden cases for `railyard test`, checked here into typed cases or issues with field paths.
 *
 * ```yaml
 * spec:
 *   cases:
 *     - name: healthcare team gets PHI checks
 *       context: {team_alias: medical-x, key_alias: k, model: gpt-4, tags: [a]}
 *       expect: {guardrails: [...], policies: [...]}     # either or both
 *     - name: injection is blocked
 *       pipeline: {policy: healthcare-compliance, messages: ["...", {role: user, content: "..."}]}
 *       expect: {terminal_action: block}
 * ```
 */
import type { Checked, Issue, Message, Origin, RequestContext, TerminalAction } from '../../engine/index.ts';
import type { ExtraDocument } from '../../resources/index.ts';
import { parseMessages } from './messages.ts';

const TERMINAL_ACTIONS = ['allow', 'block', 'modify_response'] as const satisfies readonly TerminalAction[];

type ContextCase = {
  readonly kind: 'context';
  readonly name: string;
  /** Field path of the case inside its document, for its line. */
  readonly path: string;
  readonly context: RequestContext;
  readonly expect: { readonly guardrails?: readonly string[]; readonly policies?: readonly string[] };
};

type PipelineCase = {
  readonly kind: 'pipeline';
  readonly name: string;
  readonly path: string;
  readonly policy: string;
  readonly messages: readonly Message[];
  readonly expect: { readonly terminalAction: TerminalAction };
};

export type TestCase = ContextCase | PipelineCase;

export type PolicyTestDocument = {
  readonly name: string;
  /** Where the cases resolve: metadata.namespace, else the default namespace. */
  readonly namespace: string;
  readonly origin: Origin;
  readonly cases: readonly TestCase[];
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Checks one PolicyTest document. Never throws; every problem is an issue with its field path. */
export function parsePolicyTest(doc: ExtraDocument, defaultNamespace: string): Checked<PolicyTestDocument> {
  const issues: Issue[] = [];
  const issue = (path: string, message: string) =>
    issues.push({ code: 'invalid_schema', severity: 'error', path, message });
  const value = isObject(doc.value) ? doc.value : {};
  const metadata = isObject(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (name === '') issue('metadata.name', 'a PolicyTest needs metadata.name');
  const spec = isObject(value.spec) ? value.spec : {};
  const rawCases = spec.cases;
  const cases: TestCase[] = [];
  if (!Array.isArray(rawCases) || rawCases.length === 0) {
    issue(
      'spec.cases',
      'must be a non-empty list of cases ({name, context, expect} or {name, pipeline, expect})',
    );
  } else {
    rawCases.forEach((raw: unknown, i) => {
      const parsed = parseCase(raw, `spec.cases[${i}]`);
      if (parsed.ok) cases.push(parsed.value);
      else issues.push(...parsed.issues);
    });
  }
  if (issues.length > 0) return { ok: false, issues };
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : defaultNamespace;
  return { ok: true, value: { name, namespace, origin: doc.origin, cases } };
}

function parseCase(raw: unknown, path: string): Checked<TestCase> {
  const issues: Issue[] = [];
  const issue = (at: string, message: string) =>
    issues.push({ code: 'invalid_schema', severity: 'error', path: at, message });
  const c = isObject(raw) ? raw : {};
  const name = typeof c.name === 'string' && c.name !== '' ? c.name : '';
  if (name === '') issue(`${path}.name`, 'every case needs a name');
  const expect = isObject(c.expect) ? c.expect : undefined;
  if (!expect) issue(`${path}.expect`, 'every case needs expect');
  const hasContext = c.context !== undefined;
  if (hasContext === (c.pipeline !== undefined)) {
    issue(path, 'a case has exactly one of context (what a request gets) or pipeline (a pipeline run)');
    return { ok: false, issues };
  }
  if (hasContext) {
    const context = parseContext(c.context, `${path}.context`, issue);
    const guardrails = expect?.guardrails;
    const policies = expect?.policies;
    if (guardrails !== undefined && !isStrings(guardrails))
      issue(`${path}.expect.guardrails`, 'must be a list of guardrail names');
    if (policies !== undefined && !isStrings(policies))
      issue(`${path}.expect.policies`, 'must be a list of policy names');
    if (expect && guardrails === undefined && policies === undefined)
      issue(`${path}.expect`, 'a context case expects guardrails, policies or both');
    if (issues.length > 0) return { ok: false, issues };
    return {
      ok: true,
      value: {
        kind: 'context',
        name,
        path,
        context,
        expect: {
          ...(guardrails !== undefined ? { guardrails: guardrails as string[] } : {}),
          ...(policies !== undefined ? { policies: policies as string[] } : {}),
        },
      },
    };
  }
  const pipeline = isObject(c.pipeline) ? c.pipeline : {};
  const policy = typeof pipeline.policy === 'string' ? pipeline.policy : '';
  if (policy === '') issue(`${path}.pipeline.policy`, 'name the policy whose pipeline runs');
  const messages = parseMessages(pipeline.messages, `${path}.pipeline.messages`);
  if (!messages.ok) issues.push(...messages.issues);
  const action = expect?.terminal_action;
  if (!TERMINAL_ACTIONS.includes(action as TerminalAction))
    issue(`${path}.expect.terminal_action`, `must be one of ${TERMINAL_ACTIONS.join(', ')}`);
  if (issues.length > 0 || !messages.ok) return { ok: false, issues };
  return {
    ok: true,
    value: {
      kind: 'pipeline',
      name,
      path,
      policy,
      messages: messages.value,
      expect: { terminalAction: action as TerminalAction },
    },
  };
}

const CONTEXT_FIELDS = ['team_alias', 'key_alias', 'model', 'tags'] as const;

function parseContext(
  raw: unknown,
  path: string,
  issue: (path: string, message: string) => void,
): RequestContext {
  if (!isObject(raw)) {
    issue(path, 'must be a mapping of team_alias, key_alias, model, tags');
    return {};
  }
  for (const key of Object.keys(raw)) {
    if (!(CONTEXT_FIELDS as readonly string[]).includes(key))
      issue(`${path}.${key}`, `unknown field; allowed: ${CONTEXT_FIELDS.join(', ')}`);
  }
  const str = (field: string): string | undefined => {
    const v = raw[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    issue(`${path}.${field}`, 'must be a string');
    return undefined;
  };
  const tags = raw.tags;
  if (tags !== undefined && tags !== null && !isStrings(tags))
    issue(`${path}.tags`, 'must be a list of strings');
  return {
    teamAlias: str('team_alias'),
    keyAlias: str('key_alias'),
    model: str('model'),
    tags: isStrings(tags) ? tags : undefined,
  };
}
