import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalContent, contentDigest, stableStringify } from '../../../src/engine/digest.ts';
import type { PipelineStep, PolicyContent } from '../../../src/engine/types.ts';

const step = (over: Partial<PipelineStep> = {}): PipelineStep => ({
  guardrail: 'pii',
  onPass: 'allow',
  onFail: 'block',
  passData: false,
  ...over,
});
const content = (over: Partial<PolicyContent> = {}): PolicyContent => ({
  guardrails: { add: ['pii', 'toxicity'], remove: [] },
  ...over,
});

const same: { note: string; a: PolicyContent; b: PolicyContent }[] = [
  {
    note: 'object key order does not matter',
    a: { description: 'd', inherit: 'base', guardrails: { add: ['x'], remove: ['y'] } },
    b: { guardrails: { remove: ['y'], add: ['x'] }, inherit: 'base', description: 'd' },
  },
  {
    note: 'guardrail lists are sets: order and duplicates do not matter',
    a: content({ guardrails: { add: ['b', 'a', 'b'], remove: ['z', 'y'] } }),
    b: content({ guardrails: { add: ['a', 'b'], remove: ['y', 'z', 'y'] } }),
  },
  { note: 'an empty description is no description', a: content({ description: '' }), b: content() },
  {
    note: 'an undefined description is no description',
    a: content({ description: undefined }),
    b: content(),
  },
  { note: 'an empty inherit is no parent', a: content({ inherit: '' }), b: content() },
  { note: 'an empty condition always holds', a: content({ condition: {} }), b: content() },
  {
    note: 'a condition without a model always holds',
    a: content({ condition: { model: undefined } }),
    b: content(),
  },
  {
    note: 'condition model lists are any-of: order and duplicates do not matter',
    a: content({ condition: { model: ['gpt-4.*', 'claude', 'gpt-4.*'] } }),
    b: content({ condition: { model: ['claude', 'gpt-4.*'] } }),
  },
  {
    note: 'a one-element model list means its element',
    a: content({ condition: { model: ['gpt-4.*'] } }),
    b: content({ condition: { model: 'gpt-4.*' } }),
  },
  {
    note: 'onError equal to onFail is the default',
    a: content({ pipeline: { mode: 'pre_call', steps: [step({ onFail: 'next', onError: 'next' })] } }),
    b: content({ pipeline: { mode: 'pre_call', steps: [step({ onFail: 'next' })] } }),
  },
  {
    note: 'an empty modify-response message is none',
    a: content({ pipeline: { mode: 'pre_call', steps: [step({ modifyResponseMessage: '' })] } }),
    b: content({ pipeline: { mode: 'pre_call', steps: [step()] } }),
  },
];

const different: { note: string; a: PolicyContent; b: PolicyContent }[] = [
  { note: 'another guardrail', a: content(), b: content({ guardrails: { add: ['pii'], remove: [] } }) },
  {
    note: 'add and remove are not interchangeable',
    a: content({ guardrails: { add: ['x'], remove: [] } }),
    b: content({ guardrails: { add: [], remove: ['x'] } }),
  },
  { note: 'a description', a: content({ description: 'd' }), b: content() },
  { note: 'a parent', a: content({ inherit: 'base' }), b: content() },
  { note: 'an empty model list matches nothing', a: content({ condition: { model: [] } }), b: content() },
  {
    note: 'pipeline step order matters',
    a: content({
      pipeline: { mode: 'pre_call', steps: [step({ guardrail: 'a' }), step({ guardrail: 'b' })] },
    }),
    b: content({
      pipeline: { mode: 'pre_call', steps: [step({ guardrail: 'b' }), step({ guardrail: 'a' })] },
    }),
  },
  {
    note: 'onError different from onFail',
    a: content({ pipeline: { mode: 'pre_call', steps: [step({ onError: 'allow' })] } }),
    b: content({ pipeline: { mode: 'pre_call', steps: [step()] } }),
  },
  {
    note: 'pipeline mode',
    a: content({ pipeline: { mode: 'pre_call', steps: [step()] } }),
    b: content({ pipeline: { mode: 'post_call', steps: [step()] } }),
  },
];

describe('contentDigest', () => {
  for (const c of same) {
    test(`same: ${c.note}`, () => {
      expect(contentDigest(c.a)).toBe(contentDigest(c.b));
      expect(stableStringify(canonicalContent(c.a))).toBe(stableStringify(canonicalContent(c.b)));
    });
  }
  for (const c of different) {
    test(`different: ${c.note}`, () => expect(contentDigest(c.a)).not.toBe(contentDigest(c.b)));
  }

  test('is sha256: and 64 hex digits of the canonical JSON, and stable across releases', () => {
    // Pinned (checked with `printf '%s' <json> | sha256sum`): a change in the canonical bytes would
    // make every stored version look new.
    expect(stableStringify(canonicalContent(content()))).toBe(
      '{"guardrails":{"add":["pii","toxicity"],"remove":[]}}',
    );
    expect(contentDigest(content())).toBe(
      'sha256:f5a0c5025c3768b36b4be3d6c4ecd4fc83c068e322cbda59d38274fabac8d0fe',
    );
  });

  test('is unchanged by any permutation of the guardrail lists (property)', () => {
    const names = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 6 });
    fc.assert(
      fc.property(names, names, fc.nat(), (add, remove, seed) => {
        const shuffled = (xs: string[]) =>
          xs
            .map((x, i) => ({ x, k: (i * 7919 + seed) % 101 }))
            .sort((p, q) => p.k - q.k)
            .map((p) => p.x);
        const a = contentDigest({ guardrails: { add, remove } });
        const b = contentDigest({
          guardrails: { add: shuffled(add), remove: [...shuffled(remove), ...remove] },
        });
        expect(b).toBe(a);
      }),
    );
  });
});

describe('canonicalContent', () => {
  test('drops empty optional fields instead of keeping them as undefined', () => {
    const c = canonicalContent(content({ description: '', inherit: undefined, condition: {} }));
    expect(Object.keys(c)).toEqual(['guardrails']);
  });

  test('is idempotent and leaves its argument alone', () => {
    const input = Object.freeze(
      content({
        guardrails: Object.freeze({ add: Object.freeze(['b', 'a']), remove: Object.freeze([]) }),
        condition: { model: ['y', 'x'] },
        pipeline: { mode: 'pre_call', steps: [step({ onError: 'block' })] },
      }),
    );
    const once = canonicalContent(input);
    expect(canonicalContent(once)).toStrictEqual(once);
    expect(input.guardrails.add).toEqual(['b', 'a']);
    expect(once).toStrictEqual({
      guardrails: { add: ['a', 'b'], remove: [] },
      condition: { model: ['x', 'y'] },
      pipeline: { mode: 'pre_call', steps: [step()] },
    });
  });
});

describe('stableStringify', () => {
  const cases = [
    {
      note: 'sorts keys at every level',
      value: { b: 1, a: { d: [2, 1], c: null } },
      want: '{"a":{"c":null,"d":[2,1]},"b":1}',
    },
    { note: 'leaves undefined members out', value: { a: undefined, b: 'x' }, want: '{"b":"x"}' },
    { note: 'writes undefined array items as null, like JSON', value: [undefined, 1], want: '[null,1]' },
    { note: 'escapes keys and strings', value: { 'a"b': 'c\n' }, want: '{"a\\"b":"c\\n"}' },
  ];
  for (const c of cases) test(c.note, () => expect(stableStringify(c.value)).toBe(c.want));
});
