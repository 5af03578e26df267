import { describe, expect, test } from 'vitest';
import { explain } from '../../../src/engine/explain.ts';
import { buildPolicyIndex, indexEntries, policyGuardrails } from '../../../src/engine/index.ts';
import { resolve } from '../../../src/engine/resolve.ts';
import type { RequestContext } from '../../../src/engine/types.ts';
import {
  type AttachmentSketch,
  attachmentRecord,
  indexOf,
  type PolicySketch,
  policyVersion,
} from './resolve-fixtures.ts';

type Want = {
  effective: string[];
  matched: [policy: string, via: string, attachment: string, added: string[]][];
};

const cases: {
  note: string;
  policies: Record<string, PolicySketch>;
  attachments: AttachmentSketch[];
  ctx: RequestContext;
  want: Want;
}[] = [
  {
    note: 'global attachment',
    policies: { base: { add: ['pii'] } },
    attachments: [{ id: 'a1', policy: 'base', scope: '*' }],
    ctx: {},
    want: { effective: ['pii'], matched: [['base', 'scope:*', 'a1', ['pii']]] },
  },
  {
    note: 'team prefix and exact',
    policies: { med: { add: ['phi'] }, eng: { add: ['code'] } },
    attachments: [
      { id: 'a1', policy: 'med', teams: ['healthcare', 'medical-*'] },
      { id: 'a2', policy: 'eng', teams: ['eng'] },
    ],
    ctx: { teamAlias: 'medical-x' },
    want: { effective: ['phi'], matched: [['med', 'team:medical-x', 'a1', ['phi']]] },
  },
  {
    note: 'nothing matches',
    policies: { eng: { add: ['code'] } },
    attachments: [{ id: 'a1', policy: 'eng', teams: ['eng'] }],
    ctx: { teamAlias: 'ops' },
    want: { effective: [], matched: [] },
  },
  {
    note: 'priority desc, then policy name',
    policies: { a: { add: ['ga'] }, b: { add: ['gb'] }, c: { add: ['gc'] } },
    attachments: [
      { id: 'x1', policy: 'a', scope: '*' },
      { id: 'x2', policy: 'c', scope: '*', priority: 10 },
      { id: 'x3', policy: 'b', scope: '*' },
    ],
    ctx: {},
    want: {
      effective: ['ga', 'gb', 'gc'],
      matched: [
        ['c', 'scope:*', 'x2', ['gc']],
        ['a', 'scope:*', 'x1', ['ga']],
        ['b', 'scope:*', 'x3', ['gb']],
      ],
    },
  },
  {
    note: 'dedupe: the highest-priority matching attachment wins',
    policies: { p: { add: ['g'] } },
    attachments: [
      { id: 'a', policy: 'p', scope: '*' },
      { id: 'b', policy: 'p', teams: ['eng'], priority: 5 },
    ],
    ctx: { teamAlias: 'eng' },
    want: { effective: ['g'], matched: [['p', 'team:eng', 'b', ['g']]] },
  },
  {
    note: 'dedupe: equal priority, the lower attachment id wins',
    policies: { p: { add: ['g'] } },
    attachments: [
      { id: 'b', policy: 'p', scope: '*' },
      { id: 'a', policy: 'p', models: ['gpt-*'] },
    ],
    ctx: { model: 'gpt-4' },
    want: { effective: ['g'], matched: [['p', 'model:gpt-4', 'a', ['g']]] },
  },
  {
    note: 'a failing policy condition drops the policy, parents included (no quirk)',
    policies: { base: { add: ['pii'] }, gpt4: { inherit: 'base', add: ['tox'], model: 'gpt-4.*' } },
    attachments: [{ id: 'a1', policy: 'gpt4', scope: '*' }],
    ctx: { model: 'gpt-3.5' },
    want: { effective: [], matched: [] },
  },
  {
    note: 'a passing policy condition applies the whole chain',
    policies: { base: { add: ['pii'] }, gpt4: { inherit: 'base', add: ['tox'], model: 'gpt-4.*' } },
    attachments: [{ id: 'a1', policy: 'gpt4', scope: '*' }],
    ctx: { model: 'gpt-4' },
    want: { effective: ['pii', 'tox'], matched: [['gpt4', 'scope:*', 'a1', ['pii', 'tox']]] },
  },
  {
    note: "a failing ancestor's condition skips only that level",
    policies: { base: { add: ['a'], model: 'gpt-4' }, child: { inherit: 'base', add: ['b'] } },
    attachments: [{ id: 'a1', policy: 'child', scope: '*' }],
    ctx: { model: 'claude' },
    want: { effective: ['b'], matched: [['child', 'scope:*', 'a1', ['b']]] },
  },
  {
    note: 'a policy without a production version is skipped',
    policies: { p: { add: ['g'] } },
    attachments: [
      { id: 'a1', policy: 'ghost', scope: '*', priority: 9 },
      { id: 'a2', policy: 'p', scope: '*' },
    ],
    ctx: {},
    want: { effective: ['g'], matched: [['p', 'scope:*', 'a2', ['g']]] },
  },
  {
    note: 'a remove affects only its own chain',
    policies: {
      base: { add: ['pii', 'tox'] },
      relaxed: { inherit: 'base', remove: ['tox'] },
      strict: { add: ['tox'] },
    },
    attachments: [
      { id: 'a1', policy: 'relaxed', teams: ['eng'] },
      { id: 'a2', policy: 'strict', keys: ['k-*'] },
    ],
    ctx: { teamAlias: 'eng', keyAlias: 'k-1' },
    want: {
      effective: ['pii', 'tox'],
      matched: [
        ['relaxed', 'team:eng', 'a1', ['pii']],
        ['strict', 'key:k-1', 'a2', ['tox']],
      ],
    },
  },
  {
    note: 'tags any × any',
    policies: { h: { add: ['phi'] } },
    attachments: [{ id: 'a1', policy: 'h', tags: ['health-*', 'hipaa'] }],
    ctx: { tags: ['x', 'hipaa', 'health-1'] },
    want: { effective: ['phi'], matched: [['h', 'tag:hipaa', 'a1', ['phi']]] },
  },
  {
    note: 'two patterns of one attachment hit: listed once',
    policies: { p: { add: ['g'] } },
    attachments: [{ id: 'a1', policy: 'p', teams: ['e*', 'en*', 'eng'] }],
    ctx: { teamAlias: 'eng' },
    want: { effective: ['g'], matched: [['p', 'team:eng', 'a1', ['g']]] },
  },
  {
    note: 'AND across dimensions',
    policies: { p: { add: ['g'] } },
    attachments: [{ id: 'a1', policy: 'p', teams: ['eng'], keys: ['k1'] }],
    ctx: { teamAlias: 'eng', keyAlias: 'k2' },
    want: { effective: [], matched: [] },
  },
  {
    note: 'an attachment with only wildcards matches a context with no values',
    policies: { p: { add: ['g'] } },
    attachments: [{ id: 'a1', policy: 'p', teams: ['*'], models: ['*', 'x'] }],
    ctx: {},
    want: { effective: ['g'], matched: [['p', 'scope:default', 'a1', ['g']]] },
  },
  {
    note: 'a cycle truncates without throwing',
    policies: { a: { inherit: 'b', add: ['ga'] }, b: { inherit: 'a', add: ['gb'], remove: ['ga'] } },
    attachments: [{ id: 'x', policy: 'a', scope: '*' }],
    ctx: {},
    want: { effective: ['ga', 'gb'], matched: [['a', 'scope:*', 'x', ['ga', 'gb']]] },
  },
];

describe('resolve', () => {
  for (const c of cases) {
    test(c.note, () => {
      const r = resolve(indexOf(c.policies, c.attachments), c.ctx);
      expect(r.effectiveGuardrails).toEqual(c.want.effective);
      expect(
        r.matchedPolicies.map((m) => [m.policyName, m.matchedVia, m.attachment, m.guardrailsAdded]),
      ).toEqual(c.want.matched);
    });
  }

  test('versions are listed root first', () => {
    const index = indexOf({ root: { add: ['a'] }, mid: { inherit: 'root' }, leaf: { inherit: 'mid' } }, [
      { id: 'x', policy: 'leaf', scope: '*' },
    ]);
    const [matched] = resolve(index, {}).matchedPolicies;
    expect(matched?.versions.map((v) => [v.policyName, v.policyId, v.versionNumber])).toEqual([
      ['root', 'id-root-1', 1],
      ['mid', 'id-mid-1', 1],
      ['leaf', 'id-leaf-1', 1],
    ]);
  });
});

describe('policyGuardrails', () => {
  const index = indexOf(
    { base: { add: ['a'] }, gpt4: { inherit: 'base', add: ['b'], remove: ['a'], model: 'gpt-4' } },
    [],
  );
  const table: { note: string; name: string; ctx?: RequestContext; want: string[] | undefined }[] = [
    { note: 'without a context every level applies', name: 'gpt4', want: ['b'] },
    { note: 'a passing own condition', name: 'gpt4', ctx: { model: 'gpt-4' }, want: ['b'] },
    {
      note: 'a failing own condition leaves the parents',
      name: 'gpt4',
      ctx: { model: 'claude' },
      want: ['a'],
    },
    { note: 'unknown policy', name: 'nope', want: undefined },
  ];
  for (const c of table) test(c.note, () => expect(policyGuardrails(index, c.name, c.ctx)).toEqual(c.want));
});

describe('buildPolicyIndex', () => {
  test('two versions of one name: the highest version number wins, whatever the order', () => {
    for (const order of [
      [1, 2],
      [2, 1],
    ]) {
      const index = buildPolicyIndex({
        policies: order.map((n) => ({ version: policyVersion('p', { add: [`g${n}`] }, n) })),
        attachments: [attachmentRecord({ id: 'a', policy: 'p', scope: '*' })],
      });
      expect(resolve(index, {}).effectiveGuardrails).toEqual(['g2']);
    }
  });
});

describe('indexEntries', () => {
  test('policies by name with chains; guardrails only when context-free; attachments in order', () => {
    const index = indexOf({ z: { add: ['a'] }, c: { inherit: 'z', add: ['b'], model: 'gpt-4' } }, [
      { id: 'a2', policy: 'z', scope: '*' },
      { id: 'a1', policy: 'c', teams: ['eng'], priority: 3 },
      { id: 'a0', policy: 'ghost', scope: '*' },
    ]);
    const entries = indexEntries(index);
    expect(
      entries.policies.map((p) => [p.name, p.chain.map((l) => l.version.policyName), p.guardrails]),
    ).toEqual([
      ['c', ['z', 'c'], undefined],
      ['z', ['z'], ['a']],
    ]);
    expect(entries.policies[0]?.chain[1]?.condition).toEqual({ model: 'gpt-4' });
    expect(entries.attachments.map((a) => a.attachmentId)).toEqual(['a1', 'a0', 'a2']);
  });
});

describe('explain', () => {
  const index = indexOf(
    {
      base: { add: ['pii'], model: 'gpt-4.*' },
      med: { inherit: 'base', add: ['phi'] },
      gpt3: { add: ['legacy'], model: 'gpt-3.*' },
    },
    [
      { id: 'a-med', policy: 'med', teams: ['medical-*'], priority: 10 },
      { id: 'a-med-2', policy: 'med', scope: '*' },
      { id: 'a-gpt3', policy: 'gpt3', scope: '*' },
      { id: 'a-model', policy: 'base', teams: ['eng'], models: ['claude-*'] },
      { id: 'a-tags', policy: 'base', tags: ['hipaa'] },
      { id: 'a-other', policy: 'base', teams: ['ops'] },
      { id: 'a-ghost', policy: 'ghost', scope: '*' },
    ],
  );
  const ctx: RequestContext = { teamAlias: 'eng', keyAlias: 'k2', model: 'gpt-4o', tags: ['x'] };
  const e = explain(index, ctx);

  test('agrees with resolve', () => expect(e.resolution).toEqual(resolve(index, ctx)));

  test('every attachment is accounted for', () => {
    expect(e.attachments.length + e.notCandidates).toBe(7);
    // Filed under a value the context does not have: team medical-*, team ops, tag hipaa.
    expect(e.notCandidates).toBe(3);
  });

  const verdicts: { note: string; attachment: string; verdict: string; reason?: string }[] = [
    { note: 'a global attachment matches', attachment: 'a-med-2', verdict: 'matched' },
    {
      note: 'a failing policy condition',
      attachment: 'a-gpt3',
      verdict: 'condition_failed',
      reason: 'condition: model "gpt-4o" does not match ["gpt-3.*"]',
    },
    {
      note: 'the failing dimension',
      attachment: 'a-model',
      verdict: 'scope_mismatch',
      reason: 'models: "gpt-4o" does not match ["claude-*"]',
    },
    { note: 'dangling', attachment: 'a-ghost', verdict: 'policy_missing' },
  ];
  for (const v of verdicts) {
    test(`verdict: ${v.note}`, () => {
      const a = e.attachments.find((x) => x.attachment === v.attachment);
      expect(a?.verdict).toBe(v.verdict);
      if (v.reason !== undefined) expect(a?.reason).toBe(v.reason);
    });
  }

  test('tags reason names the context tags', () => {
    const t = explain(index, { tags: ['x', 'y'] }).attachments.find((x) => x.attachment === 'a-tags');
    expect(t).toBeUndefined(); // a tag-anchored attachment is not even a candidate
    const reason = explain(indexOf({ p: {} }, [{ id: 'a', policy: 'p', teams: ['eng'], tags: ['hipaa'] }]), {
      teamAlias: 'eng',
    }).attachments[0]?.reason;
    expect(reason).toBe('tags: the request has no tags and ["hipaa"] needs one');
  });

  test('chain with each level condition and version', () => {
    const med = e.policies.find((p) => p.policyName === 'med');
    expect(med?.chain.map((l) => [l.version.policyName, l.conditionPassed, l.condition])).toEqual([
      ['base', true, { model: 'gpt-4.*' }],
      ['med', true, undefined],
    ]);
    expect(med?.guardrails).toEqual(['phi', 'pii']);
    const gpt3 = e.policies.find((p) => p.policyName === 'gpt3');
    expect([gpt3?.conditionPassed, gpt3?.guardrails]).toEqual([false, []]);
  });
});
