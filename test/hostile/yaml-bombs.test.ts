/**
 * Hostile YAML through the one reader every path uses (`readDocuments`: the folder source, `railyard
 * validate`, `serve` at start-up): each is refused with its file and line, having read each
 * character of the file a bounded number of times (an instrumented count, not a clock), so nothing
 * is expanded. Special files and whole folders are covered in test/unit/sources and test/cli.
 */
import { describe, expect, test } from 'vitest';
import { readDocuments, YAML_LIMITS } from '../../src/resources/index.ts';
import { countReads } from '../support/count-reads.ts';
import { BILLION_LAUGHS } from '../support/hostile-inputs.ts';

const level = (name: string, prev: string, n: number) =>
  `  ${name}: &${name} [${Array.from({ length: n }, () => `*${prev}`).join(',')}]\n`;

const cases: { note: string; text: string; line: number; message: RegExp }[] = [
  {
    note: 'billion laughs (10^9 nodes from 629 bytes)',
    text: BILLION_LAUGHS,
    line: 10,
    message: /^its aliases expand to more than 10000 nodes \(--yaml-max-alias-nodes\)/,
  },
  {
    note: 'a wide fan-out: one alias level of 200 aliases to a 100-node list',
    text: `x:\n  a: &a [${Array.from({ length: 100 }, () => '1').join(',')}]\n${level('b', 'a', 200)}`,
    line: 3,
    message: /--yaml-max-alias-nodes/,
  },
  {
    note: 'nesting 10,000 lists deep',
    text: `a: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
    line: 1,
    message: /^nesting deeper than 64 levels \(--yaml-max-depth\)/,
  },
  {
    note: 'shallow nesting made deep through aliases',
    text: `a: &a ${'['.repeat(40)}${']'.repeat(40)}\nb: &b ${'['.repeat(40)}*a${']'.repeat(40)}\n`,
    line: 2,
    message: /^nesting deeper than 64 levels once aliases are expanded \(--yaml-max-depth\)/,
  },
  {
    note: '20,001 empty documents',
    text: 'a: 1\n---\n'.repeat(20_001),
    line: 20_001,
    message: /^more than 10000 documents \(--yaml-max-documents\)/,
  },
  {
    note: 'a file over the size limit',
    text: `a: "${'x'.repeat(YAML_LIMITS.maxFileBytes)}"\n`,
    line: 1,
    message: /^file is \d+ bytes, over the limit of 8388608 \(--yaml-max-file-bytes\)/,
  },
];

describe('hostile YAML is refused, with its line, without expanding anything', () => {
  for (const c of cases)
    test(c.note, () => {
      const { value, reads } = countReads(() => readDocuments('/bombs/file.yaml', c.text));
      expect(value.documents).toEqual([]);
      expect(value.issues).toEqual([
        { path: '/bombs/file.yaml', line: c.line, message: expect.stringMatching(c.message) },
      ]);
      expect(reads).toBeLessThan(20 * c.text.length + 1000);
    });
});

test('aliases within the limits still read as before', () => {
  const { documents, issues } = readDocuments('ok.yaml', 'x: &x {a: 1, b: [1, 2]}\ny: *x\n');
  expect(issues).toEqual([]);
  expect(documents[0]?.value).toEqual({ x: { a: 1, b: [1, 2] }, y: { a: 1, b: [1, 2] } });
});
