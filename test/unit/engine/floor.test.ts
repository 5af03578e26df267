/**
 * Guardrail floors in the engine: which namespaces a floor selects, and resolution with a
 * namespace's floor against every chain shape (a removal at each level, inheritance, conditions,
 * a namespace the floor selects and one it does not).
 */
import { describe, expect, test } from 'vitest';
import {
  explain,
  type FloorGuardrail,
  type FloorResource,
  floorNamespaces,
  floorsByNamespace,
  type LabelSelector,
  type Labels,
  matchesLabelSelector,
  policyGuardrails,
  type RequestContext,
  resolve,
} from '../../../src/engine/index.ts';
import { type AttachmentSketch, indexOf, type PolicySketch } from './resolve-fixtures.ts';

const selector = (s: Partial<LabelSelector>): LabelSelector => ({
  matchLabels: {},
  matchExpressions: [],
  ...s,
});

describe('matchesLabelSelector (Kubernetes semantics)', () => {
  const labels: Labels = { tier: 'prod', team: 'med', pci: '' };
  const cases: { note: string; selector: LabelSelector; want: boolean }[] = [
    { note: 'the empty selector matches everything', selector: selector({}), want: true },
    { note: 'matchLabels equal', selector: selector({ matchLabels: { tier: 'prod' } }), want: true },
    { note: 'matchLabels differ', selector: selector({ matchLabels: { tier: 'dev' } }), want: false },
    {
      note: 'matchLabels: every pair',
      selector: selector({ matchLabels: { tier: 'prod', x: 'y' } }),
      want: false,
    },
    {
      note: 'In',
      selector: selector({ matchExpressions: [{ key: 'team', operator: 'In', values: ['med', 'fin'] }] }),
      want: true,
    },
    {
      note: 'In, absent key',
      selector: selector({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }),
      want: false,
    },
    {
      note: 'NotIn holds for an absent key',
      selector: selector({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }),
      want: true,
    },
    {
      note: 'NotIn, listed value',
      selector: selector({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['med'] }] }),
      want: false,
    },
    {
      note: 'Exists, with an empty value',
      selector: selector({ matchExpressions: [{ key: 'pci', operator: 'Exists', values: [] }] }),
      want: true,
    },
    {
      note: 'DoesNotExist',
      selector: selector({ matchExpressions: [{ key: 'pci', operator: 'DoesNotExist', values: [] }] }),
      want: false,
    },
  ];
  for (const c of cases) test(c.note, () => expect(matchesLabelSelector(c.selector, labels)).toBe(c.want));
});

const floor = (name: string, spec: Partial<FloorResource['spec']>): FloorResource => ({
  kind: 'GuardrailFloor',
  namespace: '',
  name,
  origin: { kind: 'file', path: 'floor.yaml', line: 1 },
  spec: { guardrails: ['pii-mask'], namespaces: [], ...spec },
});

describe('floorNamespaces', () => {
  const candidates = ['fin', 'med', 'ops'];
  const labels = new Map<string, Labels>([
    ['fin', { pci: 'true' }],
    ['med', { hipaa: 'true' }],
    ['ops', {}],
    ['sandbox', { pci: 'true' }],
  ]);
  const cases: {
    note: string;
    floor: FloorResource;
    labels?: ReadonlyMap<string, Labels>;
    candidates?: string[];
    want: string[];
  }[] = [
    {
      note: 'names, even one nothing else declares',
      floor: floor('f', { namespaces: ['med', 'new'] }),
      want: ['med', 'new'],
    },
    { note: '"*": every candidate', floor: floor('f', { namespaces: ['*'] }), want: ['fin', 'med', 'ops'] },
    {
      note: 'a selector reads the candidates\u2019 labels',
      floor: floor('f', { namespaceSelector: selector({ matchLabels: { pci: 'true' } }) }),
      labels,
      candidates: [...labels.keys()],
      want: ['fin', 'sandbox'],
    },
    {
      note: 'names and a selector: both',
      floor: floor('f', {
        namespaces: ['ops'],
        namespaceSelector: selector({ matchLabels: { hipaa: 'true' } }),
      }),
      labels,
      want: ['med', 'ops'],
    },
    {
      note: 'a selector that reads labels selects nothing where there are none',
      floor: floor('f', { namespaceSelector: selector({ matchLabels: { pci: 'true' } }) }),
      want: [],
    },
    {
      note: 'an empty selector selects every candidate, labels or not',
      floor: floor('f', { namespaceSelector: selector({}) }),
      want: ['fin', 'med', 'ops'],
    },
  ];
  for (const c of cases)
    test(c.note, () =>
      expect(floorNamespaces(c.floor, c.candidates ?? candidates, c.labels)).toEqual(c.want),
    );

  test('floorsByNamespace: one entry per guardrail and floor, sorted; an unselected namespace has none', () => {
    const got = floorsByNamespace(
      [
        floor('z-sec', { guardrails: ['secrets', 'pii-mask'], namespaces: ['*'] }),
        floor('a-pii', { guardrails: ['pii-mask'], namespaces: ['med'] }),
      ],
      ['med', 'fin'],
      undefined,
    );
    expect(Object.fromEntries(got)).toEqual({
      fin: [
        { guardrail: 'pii-mask', floor: 'z-sec' },
        { guardrail: 'secrets', floor: 'z-sec' },
      ],
      med: [
        { guardrail: 'pii-mask', floor: 'a-pii' },
        { guardrail: 'pii-mask', floor: 'z-sec' },
        { guardrail: 'secrets', floor: 'z-sec' },
      ],
    });
    expect(got.has('ops')).toBe(false);
  });
});

// ───────────── resolution with a floor, every chain shape ─────────────

const PII: FloorGuardrail[] = [{ guardrail: 'pii-mask', floor: 'security' }];
const ALL: AttachmentSketch[] = [{ id: 'all', policy: 'leaf', scope: '*' }];

const cases: {
  note: string;
  policies: Record<string, PolicySketch>;
  attachments?: AttachmentSketch[];
  ctx?: RequestContext;
  /** The namespace's floor; `[]` for a namespace the floor does not select. */
  floor?: FloorGuardrail[];
  want: { effective: string[]; leaf?: string[] };
}[] = [
  {
    note: 'no policy matches: the floor alone',
    policies: { leaf: { add: ['tox'] } },
    attachments: [{ id: 't', policy: 'leaf', teams: ['eng'] }],
    ctx: { teamAlias: 'ops' },
    want: { effective: ['pii-mask'] },
  },
  {
    note: 'no attachment at all: the floor alone',
    policies: {},
    attachments: [],
    want: { effective: ['pii-mask'] },
  },
  {
    note: 'a policy that removes it itself (same level): the removal has no effect',
    policies: { leaf: { add: ['pii-mask', 'tox'], remove: ['pii-mask'] } },
    want: { effective: ['pii-mask', 'tox'], leaf: ['pii-mask', 'tox'] },
  },
  {
    note: 'the root adds it, the leaf removes it',
    policies: { root: { add: ['pii-mask'] }, leaf: { inherit: 'root', remove: ['pii-mask'], add: ['tox'] } },
    want: { effective: ['pii-mask', 'tox'], leaf: ['pii-mask', 'tox'] },
  },
  {
    note: 'the root adds it, the middle removes it, the leaf adds something else',
    policies: {
      root: { add: ['pii-mask'] },
      mid: { inherit: 'root', remove: ['pii-mask'] },
      leaf: { inherit: 'mid', add: ['tox'] },
    },
    want: { effective: ['pii-mask', 'tox'], leaf: ['pii-mask', 'tox'] },
  },
  {
    note: 'the root removes it and nobody adds it: still in every answer, not the policy\u2019s own',
    policies: { root: { remove: ['pii-mask'] }, leaf: { inherit: 'root', add: ['tox'] } },
    want: { effective: ['pii-mask', 'tox'], leaf: ['tox'] },
  },
  {
    note: 'a removal of a guardrail the floor does not name still works',
    policies: { root: { add: ['pii-mask', 'tox'] }, leaf: { inherit: 'root', remove: ['tox', 'pii-mask'] } },
    want: { effective: ['pii-mask'], leaf: ['pii-mask'] },
  },
  {
    note: 'a conditioned level that removes it, condition passing',
    policies: {
      root: { add: ['pii-mask'] },
      leaf: { inherit: 'root', remove: ['pii-mask'], add: ['tox'], model: 'gpt-4.*' },
    },
    ctx: { model: 'gpt-4o' },
    want: { effective: ['pii-mask', 'tox'], leaf: ['pii-mask', 'tox'] },
  },
  {
    note: 'a conditioned middle level that removes it, the leaf unconditioned',
    policies: {
      root: { add: ['pii-mask'] },
      mid: { inherit: 'root', remove: ['pii-mask'], model: 'gpt-4.*' },
      leaf: { inherit: 'mid', add: ['tox'] },
    },
    ctx: { model: 'gpt-4o' },
    want: { effective: ['pii-mask', 'tox'], leaf: ['pii-mask', 'tox'] },
  },
  {
    note: 'the policy\u2019s own condition fails: it contributes nothing, the floor stays',
    policies: { leaf: { add: ['tox'], model: 'claude-.*' } },
    ctx: { model: 'gpt-4o' },
    want: { effective: ['pii-mask'] },
  },
  {
    note: 'a namespace the floor does not select: the removal works as before',
    policies: { root: { add: ['pii-mask'] }, leaf: { inherit: 'root', remove: ['pii-mask'], add: ['tox'] } },
    floor: [],
    want: { effective: ['tox'], leaf: ['tox'] },
  },
];

describe('resolve with a namespace floor', () => {
  for (const c of cases) {
    test(c.note, () => {
      const index = indexOf(c.policies, c.attachments ?? ALL, c.floor ?? PII);
      const r = resolve(index, c.ctx ?? {});
      expect(r.effectiveGuardrails).toEqual(c.want.effective);
      expect(r.floor).toEqual(c.floor ?? PII);
      expect(r.matchedPolicies.find((m) => m.policyName === 'leaf')?.guardrailsAdded).toEqual(c.want.leaf);
      if (c.want.leaf) expect(policyGuardrails(index, 'leaf', c.ctx ?? {})).toEqual(c.want.leaf);
    });
  }

  test('explain lists the floor and each level\u2019s ignored removals', () => {
    const index = indexOf(
      { root: { add: ['pii-mask', 'tox'] }, leaf: { inherit: 'root', remove: ['pii-mask', 'tox'] } },
      ALL,
      PII,
    );
    const e = explain(index, {});
    expect(e.resolution.floor).toEqual(PII);
    expect(e.resolution.effectiveGuardrails).toEqual(['pii-mask']);
    expect(e.policies[0]?.chain.map((l) => [l.version.policyName, l.ignoredRemovals])).toEqual([
      ['root', []],
      ['leaf', ['pii-mask']],
    ]);
  });
});
