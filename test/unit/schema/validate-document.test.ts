import { describe, expect, test } from 'vitest';
import type { Origin, Resource } from '../../../src/engine/types.ts';
import { fieldPath, toDocument, validateDocument } from '../../../src/schema/index.ts';

const origin: Origin = { kind: 'file', path: 'policies.yaml', line: 3 };
const API = 'railyard.dev/v1alpha1';

const policy = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }) => ({
  apiVersion: API,
  kind: 'Policy',
  metadata,
  spec,
});
const attachment = (spec: Record<string, unknown>) => ({
  apiVersion: API,
  kind: 'PolicyAttachment',
  metadata: { name: 'a' },
  spec,
});
const guardrail = (spec: Record<string, unknown>) => ({
  apiVersion: API,
  kind: 'Guardrail',
  metadata: { name: 'g' },
  spec,
});

describe('schema errors name the field and say what to do', () => {
  const cases: { note: string; doc: unknown; want: string[] }[] = [
    {
      note: 'not a mapping',
      doc: 'hello',
      want: [': a resource must be a mapping with apiVersion, kind, metadata and spec'],
    },
    {
      note: 'wrong apiVersion',
      doc: { ...policy({}), apiVersion: 'v1' },
      want: ['apiVersion: must be railyard.dev/v1alpha1 (got "v1")'],
    },
    {
      note: 'unknown kind',
      doc: { ...policy({}), kind: 'Polcy' },
      want: ['kind: must be one of Policy, PolicyAttachment, Guardrail, GuardrailFloor (got "Polcy")'],
    },
    {
      note: 'missing name',
      doc: policy({}, {}),
      want: ['metadata.name: required field is missing; add a name'],
    },
    {
      note: 'name that is not a DNS subdomain',
      doc: policy({}, { name: 'Global_Baseline' }),
      want: [
        `metadata.name: must be a lowercase DNS name: letters a-z, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters; to give a proxy another name, keep this one and set spec.policyName or spec.guardrailName (got "Global_Baseline")`,
      ],
    },
    {
      note: 'namespace that is not a DNS label',
      doc: policy({}, { name: 'p', namespace: 'a.b' }),
      want: [
        `metadata.namespace: must be a lowercase DNS label: letters a-z, digits and '-', starting and ending with a letter or digit, at most 63 characters (got "a.b")`,
      ],
    },
    {
      note: 'bad enum value',
      doc: policy({ versionStatus: 'prod' }),
      want: ['spec.versionStatus: must be one of draft, published, production (got "prod")'],
    },
    {
      note: 'unknown field in spec',
      doc: policy({ foo: 1 }),
      want: [
        'spec.foo: unknown field; remove it (allowed here: policyName, description, inherit, guardrails, condition, pipeline, versionStatus, shadow)',
      ],
    },
    {
      note: 'snake_case field in a pipeline step',
      doc: policy({
        guardrails: { add: ['g'] },
        pipeline: { mode: 'pre_call', steps: [{ guardrail: 'g', on_fail: 'block' }] },
      }),
      want: [
        'spec.pipeline.steps[0].on_fail: unknown field; remove it (allowed here: guardrail, onPass, onFail, onError, passData, modifyResponseMessage)',
      ],
    },
    {
      note: 'bad step action, missing pipeline mode',
      doc: policy({ guardrails: { add: ['g'] }, pipeline: { steps: [{ guardrail: 'g', onFail: 'deny' }] } }),
      want: [
        'spec.pipeline.mode: required field is missing; add it',
        'spec.pipeline.steps[0].onFail: must be one of allow, block, next, modify_response (got "deny")',
      ],
    },
    {
      note: 'pipeline without steps',
      doc: policy({ pipeline: { mode: 'pre_call', steps: [] } }),
      want: ['spec.pipeline.steps: must have at least 1 item'],
    },
    {
      note: 'missing spec',
      doc: { apiVersion: API, kind: 'Policy', metadata: { name: 'p' } },
      want: ['spec: required field is missing; add it'],
    },
    {
      note: 'wrong type',
      doc: policy({ guardrails: { add: 'pii' } }),
      want: ['spec.guardrails.add: must be a list (got "pii")'],
    },
    {
      note: 'wrong scalar type',
      doc: attachment({ policy: 'p', scope: '*', priority: 'high' }),
      want: ['spec.priority: must be an integer (got "high")'],
    },
    {
      note: 'out of range',
      doc: attachment({ policy: 'p', scope: '*', priority: 10_000_000 }),
      want: ['spec.priority: must be <= 1000000 (got 10000000)'],
    },
    {
      note: 'empty selector entry',
      doc: attachment({ policy: 'p', teams: [''] }),
      want: ['spec.teams[0]: must not be empty'],
    },
    {
      note: 'attachment without policy',
      doc: attachment({ scope: '*' }),
      want: ['spec.policy: required field is missing; add it'],
    },
    {
      note: 'policy reference with a control character',
      doc: attachment({ policy: 'My\tPolicy', scope: '*' }),
      want: [
        `spec.policy: must be a name proxies know: 1 to 253 characters, no control characters, no leading or trailing space (got "My\\tPolicy")`,
      ],
    },
    {
      note: 'guardrail name with a leading space',
      doc: policy({ guardrails: { add: [' pii_masking'] } }),
      want: [
        `spec.guardrails.add[0]: must be a name proxies know: 1 to 253 characters, no control characters, no leading or trailing space (got " pii_masking")`,
      ],
    },
    {
      note: 'too long',
      doc: policy({ description: 'x'.repeat(1025) }),
      want: ['spec.description: must be at most 1024 characters long (got 1025)'],
    },
    {
      note: 'condition model of the wrong type',
      doc: policy({ condition: { model: 4 } }),
      want: [
        'spec.condition.model: condition.model must be a string or a list of strings (an exact model name or a full-match regex)',
      ],
    },
    {
      note: 'guardrail type missing and bad failure policy',
      doc: guardrail({ failurePolicy: 'fail' }),
      want: [
        'spec.type: required field is missing; add it',
        'spec.failurePolicy: must be one of closed, open (got "fail")',
      ],
    },
    {
      note: 'unknown top-level field',
      doc: { ...policy({}), specs: {} },
      want: ['specs: unknown field; remove it (allowed here: apiVersion, kind, metadata, spec, status)'],
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const got = validateDocument(c.doc, origin, 'default');
      expect(got.ok).toBe(false);
      if (got.ok) return;
      expect(got.issues.map((i) => `${i.path}: ${i.message}`).sort()).toEqual([...c.want].sort());
      for (const i of got.issues) expect(i).toMatchObject({ code: 'invalid_schema', severity: 'error' });
    });
  }

  test('names proxies know need no DNS name: spec.policyName, spec.guardrailName and references', () => {
    const named = validateDocument(
      policy({
        policyName: 'Finance Baseline',
        inherit: 'global.base_v2',
        guardrails: { add: ['pii_masking', 'Lakera Guard'] },
      }),
      origin,
      'default',
    );
    expect(named.ok && named.value.kind === 'Policy' && named.value.spec.policyName).toBe('Finance Baseline');
    const g = validateDocument(
      guardrail({ type: 'pii', guardrailName: 'PII.Masking_v2' }),
      origin,
      'default',
    );
    expect(g.ok && g.value.kind === 'Guardrail' && g.value.spec.guardrailName).toBe('PII.Masking_v2');
    const a = validateDocument(attachment({ policy: 'Finance Baseline', teams: ['t'] }), origin, 'default');
    expect(a.ok).toBe(true);
  });
});

describe('defaults are applied in code', () => {
  const cases: { note: string; doc: unknown; want: Resource }[] = [
    {
      note: 'policy: production, empty lists, sorted and de-duplicated guardrails, step defaults',
      doc: policy(
        {
          guardrails: { add: ['pii', 'b', 'pii'], remove: ['z', 'a'] },
          pipeline: {
            mode: 'pre_call',
            steps: [{ guardrail: 'pii' }, { guardrail: 'b', onError: 'allow', passData: true }],
          },
        },
        { name: 'p', namespace: 'team-a', generation: 4 },
      ),
      want: {
        kind: 'Policy',
        namespace: 'team-a',
        name: 'p',
        generation: 4,
        origin,
        spec: {
          guardrails: { add: ['b', 'pii'], remove: ['a', 'z'] },
          pipeline: {
            mode: 'pre_call',
            steps: [
              { guardrail: 'pii', onPass: 'allow', onFail: 'block', passData: false },
              { guardrail: 'b', onPass: 'allow', onFail: 'block', onError: 'allow', passData: true },
            ],
          },
          versionStatus: 'production',
        },
      },
    },
    {
      note: 'policy with nothing: no guardrails, production, the default namespace',
      doc: policy({}),
      want: {
        kind: 'Policy',
        namespace: 'default',
        name: 'p',
        origin,
        spec: { guardrails: { add: [], remove: [] }, versionStatus: 'production' },
      },
    },
    {
      note: 'attachment: empty selectors and priority 0',
      doc: attachment({ policy: 'p', scope: '*' }),
      want: {
        kind: 'PolicyAttachment',
        namespace: 'default',
        name: 'a',
        origin,
        spec: { policy: 'p', scope: '*', teams: [], keys: [], models: [], tags: [], priority: 0 },
      },
    },
    {
      note: 'guardrail: pre_call, closed, empty config',
      doc: guardrail({ type: 'pii' }),
      want: {
        kind: 'Guardrail',
        namespace: 'default',
        name: 'g',
        origin,
        spec: { type: 'pii', mode: 'pre_call', failurePolicy: 'closed', config: {} },
      },
    },
    {
      note: 'status is ignored, as outside the status subresource',
      doc: {
        ...guardrail({ type: 'secrets', mode: 'post_call', failurePolicy: 'open' }),
        status: { anything: true },
      },
      want: {
        kind: 'Guardrail',
        namespace: 'default',
        name: 'g',
        origin,
        spec: { type: 'secrets', mode: 'post_call', failurePolicy: 'open', config: {} },
      },
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      expect(validateDocument(c.doc, origin, 'default')).toEqual({ ok: true, value: c.want });
    });
  }

  test('the caller’s document is left alone and shares nothing with the resource', () => {
    const doc = guardrail({ type: 'regex', config: { patterns: ['a'] } });
    const before = structuredClone(doc);
    const got = validateDocument(doc, origin, 'default');
    expect(doc).toEqual(before);
    if (!got.ok || got.value.kind !== 'Guardrail') throw new Error('expected a guardrail');
    expect(got.value.spec.config).not.toBe(doc.spec.config);
  });
});

describe('toDocument', () => {
  const docs = [
    {
      note: 'a full policy round-trips',
      doc: policy(
        {
          description: 'd',
          inherit: 'base',
          guardrails: { add: ['a', 'b'], remove: ['c'] },
          condition: { model: ['gpt-4.*', 'claude'] },
          pipeline: {
            mode: 'post_call',
            steps: [
              {
                guardrail: 'a',
                onPass: 'next',
                onFail: 'modify_response',
                passData: true,
                modifyResponseMessage: 'no',
              },
            ],
          },
          versionStatus: 'draft',
        },
        { name: 'p', namespace: 'ns' },
      ),
    },
    {
      note: 'an attachment round-trips',
      doc: {
        ...attachment({ policy: 'p', teams: ['t-*'], tags: ['x'], priority: 5 }),
        metadata: { name: 'a', namespace: 'ns' },
      },
    },
    {
      note: 'a guardrail round-trips',
      doc: {
        ...guardrail({ type: 'webhook', config: { url: 'https://x' } }),
        metadata: { name: 'g', namespace: 'ns' },
      },
    },
  ];
  for (const c of docs) {
    test(c.note, () => {
      const first = validateDocument(c.doc, origin, 'default');
      if (!first.ok) throw new Error(JSON.stringify(first.issues));
      const again = validateDocument(toDocument(first.value), origin, 'default');
      expect(again).toEqual(first);
    });
  }

  test('leaves out empty lists and empty config', () => {
    const r = validateDocument(guardrail({ type: 'pii' }), origin, 'ns');
    if (!r.ok) throw new Error('invalid');
    expect(toDocument(r.value)).toEqual({
      apiVersion: API,
      kind: 'Guardrail',
      metadata: { name: 'g', namespace: 'ns' },
      spec: { type: 'pii', mode: 'pre_call', failurePolicy: 'closed' },
    });
  });
});

describe('fieldPath', () => {
  const cases = [
    { note: 'root', pointer: '', want: '' },
    {
      note: 'nested with an index',
      pointer: '/spec/pipeline/steps/0/onFail',
      want: 'spec.pipeline.steps[0].onFail',
    },
    { note: 'a key that is not an identifier', pointer: '/spec/config/a.b~1c', want: 'spec.config["a.b/c"]' },
  ];
  for (const c of cases) test(c.note, () => expect(fieldPath(c.pointer)).toBe(c.want));
});
