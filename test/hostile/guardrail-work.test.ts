/**
 * Hostile contents for the guardrails (the worst cases of the hardening issue): each is checked at
 * two sizes, and twice the input must cost less than three times the work, in an instrumented
 * count of characters read (`countReads`), never in wall-clock time. The count must also have seen
 * every character at least once, so a check that moved its scanning out of sight (a JavaScript
 * RegExp, which could backtrack) fails here too.
 */
import { describe, expect, test } from 'vitest';
import type { Check } from '../../src/guardrails/check.ts';
import * as keywords from '../../src/guardrails/keywords.ts';
import * as pii from '../../src/guardrails/pii.ts';
import * as injection from '../../src/guardrails/prompt-injection.ts';
import * as regex from '../../src/guardrails/regex.ts';
import * as secrets from '../../src/guardrails/secrets.ts';
import { countReads } from '../support/count-reads.ts';
import { mustCompile } from '../unit/guardrails/support.ts';

const SIZE = 50_000;
const phrases = (n: number) => Array.from({ length: n }, (_, i) => `blocked phrase number ${i} zq`);

const cases: { note: string; check: Check; text: (n: number) => string }[] = [
  {
    note: 'secrets: "aws secret=" then spaces (the lookbehind that froze the server)',
    check: mustCompile(secrets.compile({})),
    text: (n) => `aws_secret_access_key=${' '.repeat(n)}`,
  },
  {
    note: 'secrets: many key contexts, no value',
    check: mustCompile(secrets.compile({ action: 'mask' })),
    text: (n) => 'aws secret: '.repeat(n / 12),
  },
  { note: 'pii: spaces', check: mustCompile(pii.compile({})), text: (n) => ' '.repeat(n) },
  {
    note: 'pii: a match every 20 characters, masked',
    check: mustCompile(pii.compile({ action: 'mask' })),
    text: (n) => '4111 1111 1111 1111 '.repeat(n / 20),
  },
  {
    note: 'keywords: a 1,000-phrase list on text full of near misses',
    check: mustCompile(keywords.compile({ words: phrases(1000) })),
    text: (n) => 'blocked phrase number 1 '.repeat(n / 24),
  },
  {
    note: 'prompt injection: U+FDFA, which NFKC expands 18 times',
    check: mustCompile(injection.compile({})),
    text: (n) => '\uFDFA'.repeat(n / 18),
  },
  {
    note: 'prompt injection: spelled-out letters',
    check: mustCompile(injection.compile({})),
    text: (n) => 'i g n o r e '.repeat(n / 12),
  },
  {
    note: 'regex: (.*a){12} (5 s on 1 MB before the input limit)',
    check: mustCompile(regex.compile({ patterns: [{ name: 'X', pattern: '(.*a){12}' }] })),
    text: (n) => 'ab'.repeat(n / 2),
  },
];

describe('hostile contents cost work linear in their size', () => {
  for (const c of cases)
    test(c.note, () => {
      const [small, large] = [SIZE, 2 * SIZE].map((n) => {
        const text = c.text(n);
        return { chars: text.length, ...countReads(() => c.check([text])) };
      });
      if (!small || !large) throw new Error('unreachable');
      expect(small.value.outcome).not.toBe('error');
      expect(small.reads).toBeGreaterThanOrEqual(small.chars);
      expect(large.reads / small.reads).toBeLessThan(3);
    });
});

test('a keyword list is one pass: 1,000 phrases cost what 10 cost', () => {
  const text = 'blocked phrase number 1 '.repeat(SIZE / 24);
  const [ten, thousand] = [10, 1000].map((n) => {
    const check = mustCompile(keywords.compile({ words: phrases(n) }));
    return countReads(() => check([text])).reads;
  });
  expect(thousand).toBe(ten);
});

test("content over a guardrail's input limit is not read at all", () => {
  const check = mustCompile(regex.compile({ patterns: [{ name: 'X', pattern: '(.*a){12}' }] }));
  const { value, reads } = countReads(() => check(['a'.repeat((1 << 18) + 1)]));
  expect(value.outcome).toBe('error');
  expect(reads).toBe(0);
});
