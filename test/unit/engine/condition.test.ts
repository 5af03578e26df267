import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { checkRegex, compileCondition } from '../../../src/engine/condition.ts';
import type { Condition } from '../../../src/engine/types.ts';

describe('compileCondition', () => {
  const cases: {
    note: string;
    condition: Condition | undefined;
    model: string | null | undefined;
    want: boolean;
  }[] = [
    { note: 'no condition passes without a model', condition: undefined, model: null, want: true },
    { note: 'no model condition passes (DB default {})', condition: {}, model: undefined, want: true },
    {
      note: 'a model condition fails without a model (null)',
      condition: { model: 'gpt-4' },
      model: null,
      want: false,
    },
    {
      note: 'a model condition fails without a model (undefined)',
      condition: { model: '.*' },
      model: undefined,
      want: false,
    },
    { note: 'exact name', condition: { model: 'gpt-4' }, model: 'gpt-4', want: true },
    { note: 'full match, not search', condition: { model: 'gpt-4' }, model: 'gpt-4-turbo', want: false },
    { note: 'gpt-4.* matches gpt-4', condition: { model: 'gpt-4.*' }, model: 'gpt-4', want: true },
    { note: 'gpt-4.* matches gpt-4o', condition: { model: 'gpt-4.*' }, model: 'gpt-4o', want: true },
    { note: 'anchored at the start', condition: { model: 'gpt-4.*' }, model: 'xgpt-4', want: false },
    { note: 'regex metacharacters', condition: { model: 'gpt.4' }, model: 'gpt-4', want: true },
    { note: 'alternation full-matches', condition: { model: 'a|ab' }, model: 'ab', want: true },
    { note: 'case-sensitive', condition: { model: 'gpt-4' }, model: 'GPT-4', want: false },
    { note: 'inline flags', condition: { model: '(?i)gpt-4' }, model: 'GPT-4', want: true },
    {
      note: 'list: any element',
      condition: { model: ['claude-.*', 'gpt-4'] },
      model: 'claude-3',
      want: true,
    },
    { note: 'list: no element', condition: { model: ['claude-.*', 'gpt-4'] }, model: 'llama', want: false },
    { note: 'empty list matches nothing', condition: { model: [] }, model: 'x', want: false },
    { note: 'empty model equals empty pattern', condition: { model: '' }, model: '', want: true },
    { note: 'invalid regex is a non-match', condition: { model: '(' }, model: 'x', want: false },
    { note: 'invalid regex still compares by equality', condition: { model: '(' }, model: '(', want: true },
    { note: 'a pattern cannot escape the anchors', condition: { model: 'a)|(b' }, model: 'a', want: false },
    { note: 'lookaround is invalid on RE2', condition: { model: '(?=g)gpt' }, model: 'gpt', want: false },
  ];
  for (const c of cases) test(c.note, () => expect(compileCondition(c.condition).test(c.model)).toBe(c.want));

  test('always is true only without a model condition', () => {
    expect(compileCondition(undefined).always).toBe(true);
    expect(compileCondition({}).always).toBe(true);
    expect(compileCondition({ model: '.*' }).always).toBe(false);
  });

  test('the same pattern list gives the same compiled condition while it is in use', () => {
    const held = compileCondition({ model: ['shared-.*', 'other'] });
    expect(compileCondition({ model: ['shared-.*', 'other'] })).toBe(held);
  });

  test('compiled patterns are not kept once nothing uses them (a Policy with many patterns, edited)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A WeakRef made in this job holds its target until the job ends; finalizers run later still.
    const collect = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 10));
        gc();
      }
    };
    await collect();
    const before = process.memoryUsage().heapUsed;
    // Ten edits of a condition with 200 patterns: each edit changes every pattern (about 20 KB each).
    for (let edit = 0; edit < 10; edit++) {
      const model = Array.from({ length: 200 }, (_, i) => `vendor-${edit}-${i}-[a-z0-9]+-(preview|stable)`);
      expect(compileCondition({ model }).test(`vendor-${edit}-7-x1-stable`)).toBe(true);
    }
    await collect();
    const grown = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    expect(grown).toBeLessThan(8); // about 40 MB when every compiled pattern was kept
  });

  test('ReDoS: (a+)+$ against a long non-matching input is linear', () => {
    const condition = compileCondition({ model: '(a+)+$' });
    const input = `${'a'.repeat(100_000)}b`;
    const started = performance.now();
    expect(condition.test(input)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('checkRegex', () => {
  const cases: { note: string; pattern: string; want: RegExp | undefined }[] = [
    { note: 'valid', pattern: 'gpt-4.*', want: undefined },
    { note: 'valid class', pattern: '\\d+', want: undefined },
    { note: 'unbalanced group', pattern: '(', want: /missing closing \)/ },
    {
      note: 'an unbalanced pattern that would fit inside the anchors',
      pattern: 'a)|(b',
      want: /unexpected \)|missing/,
    },
    { note: 'bad repeat count', pattern: 'a{2,1}', want: /invalid repeat count/ },
    { note: 'lookbehind', pattern: '(?<=a)b', want: /invalid/ },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const error = checkRegex(c.pattern);
      if (c.want === undefined) expect(error).toBeUndefined();
      else expect(error).toMatch(c.want);
    });
  }
});
