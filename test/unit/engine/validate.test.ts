import { describe, expect, test } from 'vitest';
import { CEL_MESSAGES, resourceKey, validateResources } from '../../../src/engine/index.ts';
import type {
  AttachmentResource,
  AttachmentSpec,
  GuardrailResource,
  GuardrailSpec,
  Issue,
  Origin,
  PolicyResource,
  PolicySpec,
  Resource,
} from '../../../src/engine/types.ts';

const NS = 'ai';
const at = (line: number): Origin => ({ kind: 'file', path: 'p.yaml', line });

function pol(
  name: string,
  spec: Partial<PolicySpec> = {},
  extra: { namespace?: string; origin?: Origin } = {},
): PolicyResource {
  return {
    kind: 'Policy',
    namespace: extra.namespace ?? NS,
    name,
    origin: extra.origin ?? at(1),
    spec: { guardrails: { add: [], remove: [] }, versionStatus: 'production', ...spec },
  };
}
function att(name: string, spec: Partial<AttachmentSpec>, namespace = NS): AttachmentResource {
  return {
    kind: 'PolicyAttachment',
    namespace,
    name,
    origin: at(1),
    spec: { policy: 'p', teams: [], keys: [], models: [], tags: [], priority: 0, ...spec },
  };
}
function gr(name: string, spec: Partial<GuardrailSpec> = {}, namespace = NS): GuardrailResource {
  return {
    kind: 'Guardrail',
    namespace,
    name,
    origin: at(1),
    spec: { type: 'pii', mode: 'pre_call', failurePolicy: 'closed', config: {}, ...spec },
  };
}
const add = (...names: string[]) => ({ guardrails: { add: names, remove: [] } });
const step = (guardrail: string) =>
  ({ guardrail, onPass: 'allow', onFail: 'block', passData: false }) as const;

type Case = {
  note: string;
  resources: Resource[];
  maxDepth?: number;
  /** Expected issues by key; keys not listed must have none. Rendered `severity code path: message`. */
  want: Record<string, string[]>;
};

const render = (i: Issue) => `${i.severity} ${i.code} ${i.path}: ${i.message}`;

const cases: Case[] = [
  {
    note: 'a clean set has an empty entry per object',
    resources: [pol('p'), att('a', { scope: '*' })],
    want: {},
  },
  {
    note: 'missing parent',
    resources: [pol('p', { inherit: 'x' })],
    want: {
      'Policy/ai/p': [
        'error invalid_inheritance spec.inherit: parent policy "x" not found in namespace "ai"; create it or fix the name',
      ],
    },
  },
  {
    note: 'a parent in another namespace does not count',
    resources: [pol('p', { inherit: 'base' }), pol('base', {}, { namespace: 'other' })],
    want: {
      'Policy/ai/p': [
        'error invalid_inheritance spec.inherit: parent policy "base" not found in namespace "ai"; create it or fix the name',
      ],
    },
  },
  {
    note: 'only the policy whose own parent is missing reports it',
    resources: [pol('child', { inherit: 'mid' }), pol('mid', { inherit: 'gone' })],
    want: {
      'Policy/ai/mid': [
        'error invalid_inheritance spec.inherit: parent policy "gone" not found in namespace "ai"; create it or fix the name',
      ],
    },
  },
  {
    note: 'cycle, with the chain from each member',
    resources: [pol('a', { inherit: 'b' }), pol('b', { inherit: 'a' })],
    want: {
      'Policy/ai/a': [
        'error circular_inheritance spec.inherit: Circular inheritance detected: a -> b -> a; remove spec.inherit from one of these policies',
      ],
      'Policy/ai/b': [
        'error circular_inheritance spec.inherit: Circular inheritance detected: b -> a -> b; remove spec.inherit from one of these policies',
      ],
    },
  },
  {
    note: 'self-inheritance is a cycle',
    resources: [pol('a', { inherit: 'a' })],
    want: {
      'Policy/ai/a': [
        'error circular_inheritance spec.inherit: Circular inheritance detected: a -> a; remove spec.inherit from one of these policies',
      ],
    },
  },
  {
    note: 'a policy that inherits into a cycle reports the chain too',
    resources: [pol('c', { inherit: 'a' }), pol('a', { inherit: 'b' }), pol('b', { inherit: 'a' })],
    want: {
      'Policy/ai/c': [
        'error circular_inheritance spec.inherit: Circular inheritance detected: c -> a -> b -> a; remove spec.inherit from one of these policies',
      ],
      'Policy/ai/a': [
        'error circular_inheritance spec.inherit: Circular inheritance detected: a -> b -> a; remove spec.inherit from one of these policies',
      ],
      'Policy/ai/b': [
        'error circular_inheritance spec.inherit: Circular inheritance detected: b -> a -> b; remove spec.inherit from one of these policies',
      ],
    },
  },
  {
    note: 'depth over the limit',
    maxDepth: 2,
    resources: [
      pol('p3', { inherit: 'p2' }),
      pol('p2', { inherit: 'p1' }),
      pol('p1', { inherit: 'p0' }),
      pol('p0'),
    ],
    want: {
      'Policy/ai/p3': [
        'error inheritance_too_deep spec.inherit: Inheritance chain too deep (exceeded max depth of 2); inherit from a policy nearer the root',
      ],
    },
  },
  {
    note: 'depth at the limit is fine',
    maxDepth: 2,
    resources: [pol('p2', { inherit: 'p1' }), pol('p1', { inherit: 'p0' }), pol('p0')],
    want: {},
  },
  {
    note: 'invalid regex in a string condition',
    resources: [pol('p', { condition: { model: 'gpt-4(' } })],
    want: {
      'Policy/ai/p': [
        'error invalid_regex spec.condition.model: invalid regular expression "gpt-4(" (RE2 syntax): error parsing regexp: missing closing ): `gpt-4(`; fix it or write the exact model name',
      ],
    },
  },
  {
    note: 'a lookahead is not RE2, and the list index is in the path',
    resources: [pol('p', { condition: { model: ['gpt-4.*', '(?=x)'] } })],
    want: {
      'Policy/ai/p': [
        'error invalid_regex spec.condition.model[1]: invalid regular expression "(?=x)" (RE2 syntax): error parsing regexp: invalid or unsupported Perl syntax: `(?=`; fix it or write the exact model name',
      ],
    },
  },
  {
    note: 'scope other than "*" (and then no selector either)',
    resources: [pol('p'), att('a', { scope: 'global' })],
    want: {
      'PolicyAttachment/ai/a': [
        `error invalid_scope spec.scope: ${CEL_MESSAGES.scopeNotGlobal}`,
        `error invalid_scope spec: ${CEL_MESSAGES.noSelector}`,
      ],
    },
  },
  {
    note: 'no selector and no scope',
    resources: [pol('p'), att('a', {})],
    want: { 'PolicyAttachment/ai/a': [`error invalid_scope spec: ${CEL_MESSAGES.noSelector}`] },
  },
  { note: 'one selector is enough', resources: [pol('p'), att('a', { tags: ['x'] })], want: {} },
  {
    note: 'an attachment to a missing policy is only a warning',
    resources: [att('a', { policy: 'nope', scope: '*' })],
    want: {
      'PolicyAttachment/ai/a': [
        'warning invalid_scope spec.policy: policy "nope" not found in namespace "ai"; this attachment applies nothing until it exists (create it or fix the name)',
      ],
    },
  },
  {
    note: 'pipeline step guardrail must be in the policy’s own add list (inherited ones do not count)',
    resources: [
      pol('base', add('pii')),
      pol('p', {
        inherit: 'base',
        ...add('tox'),
        pipeline: { mode: 'pre_call', steps: [step('tox'), step('pii')] },
      }),
    ],
    want: {
      'Policy/ai/p': [
        `error invalid_pipeline spec.pipeline.steps[1].guardrail: ${CEL_MESSAGES.stepNotInAdd}`,
      ],
    },
  },
  {
    note: 'unknown guardrails are not checked without a catalog',
    resources: [pol('p', { guardrails: { add: ['x'], remove: ['y'] } })],
    want: {},
  },
  {
    note: 'with a catalog: unknown add is an error, unknown remove a warning, unknown step an error',
    resources: [
      gr('pii'),
      pol('p', {
        guardrails: { add: ['pii', 'x'], remove: ['y'] },
        pipeline: { mode: 'pre_call', steps: [step('x')] },
      }),
    ],
    want: {
      'Policy/ai/p': [
        `error invalid_guardrail spec.guardrails.add: Guardrail 'x' not found in guardrail registry; create a Guardrail named "x" in namespace "ai" or fix the name`,
        `warning invalid_guardrail spec.guardrails.remove: Guardrail 'y' in remove list not found in guardrail registry; create a Guardrail named "y" in namespace "ai" or fix the name`,
        `error invalid_guardrail spec.pipeline.steps[0].guardrail: Pipeline step 0 guardrail 'x' not found in guardrail registry; create a Guardrail named "x" in namespace "ai" or fix the name`,
      ],
    },
  },
  {
    note: 'a catalog in another namespace does not count',
    resources: [gr('pii', {}, 'other'), pol('p', add('x'))],
    want: {},
  },
  {
    note: 'webhook guardrail without a URL',
    resources: [gr('hook', { type: 'webhook', config: { url: 'ftp://x' } })],
    want: { 'Guardrail/ai/hook': [`error invalid_schema spec.config.url: ${CEL_MESSAGES.webhookUrl}`] },
  },
  {
    note: 'duplicate declarations name each other',
    resources: [
      pol('p', {}, { origin: at(1) }),
      pol('p', {}, { origin: { kind: 'file', path: 'q.yaml', line: 7 } }),
    ],
    want: {
      'Policy/ai/p': [
        'error duplicate_object metadata.name: Policy "p" in namespace "ai" is also declared at q.yaml:7; keep one declaration and rename or delete the others',
        'error duplicate_object metadata.name: Policy "p" in namespace "ai" is also declared at p.yaml:1; keep one declaration and rename or delete the others',
      ],
    },
  },
  {
    note: 'references use the names proxies know (spec.policyName, spec.guardrailName)',
    resources: [
      gr('pii-masking', { guardrailName: 'pii_masking' }),
      gr('prompt-injection', { guardrailName: 'Prompt Injection' }),
      pol('global-baseline', { policyName: 'Global_Baseline', ...add('pii_masking') }),
      pol('finance', {
        policyName: 'finance.team',
        inherit: 'Global_Baseline',
        ...add('Prompt Injection'),
        pipeline: { mode: 'pre_call', steps: [step('Prompt Injection')] },
      }),
      att('a', { policy: 'finance.team', teams: ['t'] }),
    ],
    want: {},
  },
  {
    note: 'an object name is not a reference when the object has a proxy name',
    resources: [
      gr('pii-masking', { guardrailName: 'pii_masking' }),
      pol('global-baseline', { policyName: 'Global_Baseline', ...add('pii-masking') }),
      pol('child', { inherit: 'global-baseline' }),
    ],
    want: {
      'Policy/ai/global-baseline': [
        `error invalid_guardrail spec.guardrails.add: Guardrail 'pii-masking' not found in guardrail registry; create a Guardrail named "pii-masking" in namespace "ai" or fix the name`,
      ],
      'Policy/ai/child': [
        'error invalid_inheritance spec.inherit: parent policy "global-baseline" not found in namespace "ai"; create it or fix the name',
      ],
    },
  },
  {
    note: 'two objects claiming one proxy name: both are invalid',
    resources: [
      pol('a', { policyName: 'shared' }),
      pol('shared', {}, { origin: { kind: 'file', path: 'q.yaml', line: 3 } }),
      gr('g1', { guardrailName: 'pii_masking' }),
      gr('g2', { guardrailName: 'pii_masking' }),
    ],
    want: {
      'Policy/ai/a': [
        'error duplicate_name spec.policyName: Policy name "shared" in namespace "ai" is also claimed by Policy "shared" (q.yaml:3); the names proxies know must be unique in a namespace: set a different spec.policyName on one of them',
      ],
      'Policy/ai/shared': [
        'error duplicate_name metadata.name: Policy name "shared" in namespace "ai" is also claimed by Policy "a" (p.yaml:1); the names proxies know must be unique in a namespace: set a different spec.policyName on one of them',
      ],
      'Guardrail/ai/g1': [
        'error duplicate_name spec.guardrailName: Guardrail name "pii_masking" in namespace "ai" is also claimed by Guardrail "g2" (p.yaml:1); the names proxies know must be unique in a namespace: set a different spec.guardrailName on one of them',
      ],
      'Guardrail/ai/g2': [
        'error duplicate_name spec.guardrailName: Guardrail name "pii_masking" in namespace "ai" is also claimed by Guardrail "g1" (p.yaml:1); the names proxies know must be unique in a namespace: set a different spec.guardrailName on one of them',
      ],
    },
  },
  {
    note: 'same name, different kinds or namespaces: not duplicates',
    resources: [pol('x'), gr('x'), pol('x', {}, { namespace: 'b' })],
    want: {},
  },
];

describe('validateResources', () => {
  for (const c of cases) {
    test(c.note, () => {
      const got = validateResources(c.resources, c.maxDepth === undefined ? {} : { maxDepth: c.maxDepth });
      expect([...got.keys()].sort()).toEqual([...new Set(c.resources.map(resourceKey))].sort());
      for (const [key, issues] of got) expect(issues.map(render), key).toEqual(c.want[key] ?? []);
    });
  }

  test('checkGuardrailConfig issues are added to the guardrail', () => {
    const issue: Issue = {
      code: 'invalid_guardrail',
      severity: 'error',
      path: 'spec.config.entities',
      message: 'unknown entity',
    };
    const got = validateResources([gr('pii'), gr('other', { type: 'regex' })], {
      checkGuardrailConfig: (g) => (g.spec.type === 'pii' ? [issue] : []),
    });
    expect(got.get('Guardrail/ai/pii')).toEqual([issue]);
    expect(got.get('Guardrail/ai/other')).toEqual([]);
  });

  test('the default depth limit is 100', () => {
    const chain = Array.from({ length: 102 }, (_, i) =>
      pol(`p${i}`, i === 0 ? {} : { inherit: `p${i - 1}` }),
    );
    const got = validateResources(chain);
    expect(got.get('Policy/ai/p100')).toEqual([]);
    expect(got.get('Policy/ai/p101')?.map((i) => i.code)).toEqual(['inheritance_too_deep']);
  });

  test('the order of the input does not change the issues', () => {
    const set = cases.flatMap((c) =>
      c.resources.map((r) => ({ ...r, namespace: `${r.namespace}-${cases.indexOf(c)}` })),
    );
    const forward = validateResources(set);
    const backward = validateResources([...set].reverse());
    for (const [key, issues] of forward) {
      if (issues.some((i) => i.code === 'duplicate_object' || i.code === 'duplicate_name')) continue; // these name the other, by design
      expect(backward.get(key), key).toEqual(issues);
    }
  });
});
