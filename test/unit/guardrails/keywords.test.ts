import { describe, expect, test } from 'vitest';
import { compile } from '../../../src/guardrails/keywords.ts';
import { mustCompile } from './support.ts';

const words = ['class', 'drop table', 'café', 'Straße', 'c++'];

describe('keywords guardrail', () => {
  const block = mustCompile(compile({ words }));
  const cases = [
    { note: 'whole word matches', text: 'the class is full', found: ['class'] },
    { note: 'case-insensitive', text: 'CLASS dismissed', found: ['class'] },
    { note: 'word inside another word does not match', text: 'a classic subclass', found: [] },
    { note: 'phrase across any whitespace', text: 'DROP\n  TABLE users', found: ['drop\n  table'] },
    { note: 'Unicode word', text: 'un Café noir', found: ['café'] },
    { note: 'Unicode letters count as word characters', text: 'les cafés', found: [] },
    { note: 'Unicode case folding', text: 'STRASSE? no: straße yes', found: ['straße'] },
    { note: 'regex syntax in a word is literal', text: 'I like c++ and cxx', found: ['c++'] },
    { note: 'underscore joins words', text: 'my_class_name', found: [] },
  ];
  for (const c of cases)
    test(c.note, () => {
      const r = block([c.text]);
      expect(r.outcome === 'fail' ? r.findings.map((f) => f.redacted) : []).toEqual(c.found);
      if (r.outcome === 'fail') expect(r.detail).toBe('Blocked keyword detected: KEYWORD');
    });

  test('mask replaces each keyword', () => {
    const mask = mustCompile(compile({ words, action: 'mask' }));
    expect(mask(['Class of c++', 'nothing'])).toEqual({
      outcome: 'pass',
      texts: ['[KEYWORD] of [KEYWORD]', 'nothing'],
    });
  });
});

describe('keywords config', () => {
  const cases = [
    { note: 'words required', config: {}, path: 'spec.config.words' },
    { note: 'empty word', config: { words: ['ok', ' '] }, path: 'spec.config.words[1]' },
    { note: 'words must be a list', config: { words: 'class' }, path: 'spec.config.words' },
    { note: 'bad action', config: { words, action: 'warn' }, path: 'spec.config.action' },
  ];
  for (const c of cases)
    test(c.note, () => {
      const r = compile(c.config);
      expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([c.path]);
    });
});
