import { describe, expect, test } from 'vitest';
import { compile } from '../../../src/guardrails/max-length.ts';
import { mustCompile } from './support.ts';

describe('max_length guardrail', () => {
  const cases = [
    { note: 'at the char limit passes', config: { maxChars: 10 }, texts: ['12345', '67890'], want: 'pass' },
    {
      note: 'over the char limit, all messages together',
      config: { maxChars: 10 },
      texts: ['12345', '678901'],
      want: 'fail',
    },
    { note: 'code points, not UTF-16 units', config: { maxChars: 3 }, texts: ['😀😀😀'], want: 'pass' },
    { note: '8 chars are 2 tokens', config: { maxTokens: 2 }, texts: ['abcdefgh'], want: 'pass' },
    { note: '9 chars round up to 3 tokens', config: { maxTokens: 2 }, texts: ['abcdefghi'], want: 'fail' },
    {
      note: 'both limits: tokens bind',
      config: { maxChars: 100, maxTokens: 1 },
      texts: ['abcde'],
      want: 'fail',
    },
  ];
  for (const c of cases)
    test(c.note, () => expect(mustCompile(compile(c.config))(c.texts).outcome).toBe(c.want));

  test('detail says the size and the limit', () => {
    expect(mustCompile(compile({ maxChars: 3 }))(['abcd'])).toEqual({
      outcome: 'fail',
      detail: 'Content is 4 characters, over the limit of 3',
      findings: [],
    });
    expect(mustCompile(compile({ maxTokens: 1 }))(['abcde'])).toEqual({
      outcome: 'fail',
      detail: 'Content is about 2 tokens, over the limit of 1',
      findings: [],
    });
  });

  const bad = [
    { note: 'needs a limit', config: {}, path: 'spec.config.maxChars' },
    { note: 'zero is not a limit', config: { maxChars: 0 }, path: 'spec.config.maxChars' },
    { note: 'tokens must be a number', config: { maxTokens: '100' }, path: 'spec.config.maxTokens' },
  ];
  for (const c of bad)
    test(`config: ${c.note}`, () => {
      const r = compile(c.config);
      expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([c.path]);
    });
});
