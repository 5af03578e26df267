import { describe, expect, test } from 'vitest';
import { compile } from '../../../src/guardrails/regex.ts';
import { mustCompile } from './support.ts';

const patterns = [
  { name: 'TICKET', pattern: 'JIRA-[0-9]+' },
  { name: 'codename', pattern: '(?i)project\\s+falcon' },
];

describe('regex guardrail', () => {
  const cases = [
    {
      note: 'mask one match',
      action: 'mask',
      text: 'see JIRA-42 now',
      want: { outcome: 'pass', texts: ['see [TICKET] now'] },
    },
    {
      note: 'mask with an inline case-insensitive flag',
      action: 'mask',
      text: 'PROJECT  Falcon and JIRA-7',
      want: { outcome: 'pass', texts: ['[codename] and [TICKET]'] },
    },
    {
      note: 'block reports each match redacted',
      action: 'block',
      text: 'JIRA-12345',
      want: {
        outcome: 'fail',
        detail: 'Pattern detected: TICKET',
        findings: [{ type: 'TICKET', redacted: 'JI***' }],
      },
    },
    { note: 'no match passes', action: 'block', text: 'jira-1 is lowercase', want: { outcome: 'pass' } },
  ];
  for (const c of cases)
    test(c.note, () =>
      expect(mustCompile(compile({ patterns, action: c.action }))([c.text])).toEqual(c.want),
    );

  test('non-BMP text keeps offsets right', () => {
    const check = mustCompile(compile({ patterns, action: 'mask' }));
    expect(check(['😀 JIRA-1 😀'])).toEqual({ outcome: 'pass', texts: ['😀 [TICKET] 😀'] });
  });
  test('empty matches are ignored', () => {
    const check = mustCompile(compile({ patterns: [{ name: 'x', pattern: 'x*' }] }));
    expect(check(['abc'])).toEqual({ outcome: 'pass' });
  });
  test('RE2 stays linear on a classic catastrophic pattern', () => {
    const check = mustCompile(compile({ patterns: [{ name: 'evil', pattern: '(a+)+$' }] }));
    const started = performance.now();
    expect(check([`${'a'.repeat(30_000)}!`]).outcome).toBe('pass'); // no match, found without backtracking
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('regex config', () => {
  const cases = [
    { note: 'missing patterns', config: {}, path: 'spec.config.patterns' },
    {
      note: 'invalid RE2 syntax',
      config: { patterns: [{ name: 'a', pattern: '(a' }] },
      path: 'spec.config.patterns[0].pattern',
    },
    {
      note: 'lookahead is not RE2',
      config: {
        patterns: [
          { name: 'a', pattern: 'x' },
          { name: 'b', pattern: 'a(?=b)' },
        ],
      },
      path: 'spec.config.patterns[1].pattern',
    },
    { note: 'missing name', config: { patterns: [{ pattern: 'a' }] }, path: 'spec.config.patterns[0].name' },
    {
      note: 'unknown pattern field',
      config: { patterns: [{ name: 'a', pattern: 'a', flags: 'i' }] },
      path: 'spec.config.patterns[0].flags',
    },
    { note: 'bad action', config: { patterns, action: 'drop' }, path: 'spec.config.action' },
  ];
  for (const c of cases)
    test(c.note, () => {
      const r = compile(c.config);
      expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([c.path]);
    });
  test('the RE2 parse error is in the message', () => {
    const r = compile({ patterns: [{ name: 'a', pattern: '(a' }] });
    expect(r.ok ? '' : r.issues[0]?.message).toMatch(/invalid RE2 regular expression: .*missing closing \)/);
  });
  test('a pattern compiling to a program over the limit is refused, naming the field and the limit', () => {
    const huge = '[a-z]{900}[0-9]{900}[A-Z]{900}';
    const r = compile({ patterns: [{ name: 'big', pattern: huge }] });
    expect(r.ok ? [] : r.issues.map((i) => [i.path, i.message])).toEqual([
      [
        'spec.config.patterns[0].pattern',
        expect.stringMatching(/^compiles to an RE2 program of \d+ instructions, over the limit of 2000; /),
      ],
    ]);
  });
  test('a pattern source over 1,000 characters is refused', () => {
    const r = compile({ patterns: [{ name: 'long', pattern: 'a'.repeat(1001) }] });
    expect(r.ok ? '' : r.issues[0]?.message).toBe('is 1001 characters long, over the limit of 1000');
  });
  test('maxInputChars: content over it is an error, never passed unread', () => {
    const check = mustCompile(compile({ patterns, maxInputChars: 10 }));
    expect(check(['12345', '678901'])).toEqual({
      outcome: 'error',
      detail:
        'Content is 11 characters, over the scan limit of 10 of this regex guardrail (spec.config.maxInputChars)',
    });
    expect(check(['12345', '67890']).outcome).toBe('pass');
    const defaults = mustCompile(compile({ patterns }));
    expect(defaults(['x'.repeat(1 << 18)]).outcome).toBe('pass');
    expect(defaults(['x'.repeat((1 << 18) + 1)]).outcome).toBe('error');
  });
});
