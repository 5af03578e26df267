import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { readDocuments } from '../../../src/resources/index.ts';

const fixture = (name: string) => {
  const url = new URL(`../../fixtures/${name}`, import.meta.url);
  return { path: url.pathname, text: readFileSync(url, 'utf8') };
};

describe('multi-document YAML with lines', () => {
  const { path, text } = fixture('validate-lines.yaml');
  const { documents, issues } = readDocuments(path, text);

  test('reads every non-empty document in order, whatever its kind', () => {
    expect(issues).toEqual([]);
    expect(documents.map((d) => (d.value as { kind: string }).kind)).toEqual([
      'Policy',
      'PolicyAttachment',
      'PolicyTest',
    ]);
    expect(documents.map((d) => d.line)).toEqual([2, 19, 28]);
  });

  const cases = [
    { note: 'a top-level field', doc: 0, path: 'spec', line: 6 },
    { note: 'a nested scalar', doc: 0, path: 'metadata.name', line: 5 },
    { note: 'a flow list item', doc: 0, path: 'spec.guardrails.add[1]', line: 8 },
    { note: 'a field of the second step', doc: 0, path: 'spec.pipeline.steps[1].guardrail', line: 14 },
    {
      note: 'a later field of the second step',
      doc: 0,
      path: 'spec.pipeline.steps[1].modifyResponseMessage',
      line: 16,
    },
    { note: 'a list item', doc: 0, path: 'spec.pipeline.steps[1]', line: 14 },
    {
      note: 'a missing field falls back to its deepest existing ancestor',
      doc: 0,
      path: 'spec.pipeline.steps[0].onPass',
      line: 12,
    },
    {
      note: 'a missing index falls back to the list',
      doc: 0,
      path: 'spec.pipeline.steps[7].guardrail',
      line: 11,
    },
    {
      note: 'an unknown top-level path falls back to the document',
      doc: 0,
      path: 'status.conditions',
      line: 2,
    },
    { note: 'the empty path is the document', doc: 0, path: '', line: 2 },
    { note: 'second document: a flow mapping field', doc: 1, path: 'metadata.name', line: 21 },
    { note: 'second document: a block list item', doc: 1, path: 'spec.teams[1]', line: 26 },
    { note: 'a prefix that is not a path segment does not count', doc: 1, path: 'spec.teamsX', line: 22 },
  ];
  for (const c of cases) test(c.note, () => expect(documents[c.doc]?.locate(c.path)).toBe(c.line));
});

describe('errors are issues with file and line, never throws', () => {
  const cases = [
    {
      note: 'bad indentation in the second document: the file gives no documents',
      path: 'policies.yaml',
      text: [
        'apiVersion: railyard.dev/v1alpha1',
        'kind: Policy',
        'metadata: {name: ok}',
        'spec: {}',
        '---',
        'apiVersion: railyard.dev/v1alpha1',
        'kind: Policy',
        'metadata:',
        '  name: broken',
        ' spec: {}',
      ].join('\n'),
      want: { line: 10, message: /^YAML syntax error at line 10, column \d+: / },
    },
    {
      note: 'an unclosed flow list',
      path: 'a.yaml',
      text: 'a: [1\nb: 2\n',
      want: { line: 2, message: /deficient indentation/ },
    },
    {
      note: 'JSON with a missing colon',
      path: 'a.json',
      text: '{"a": 1,\n\n "b" 2}',
      want: { line: 3, message: /^JSON syntax error at line 3: / },
    },
    {
      note: 'JSON that YAML would accept',
      path: 'a.json',
      text: "{'a': 1}",
      want: { line: 1, message: /^JSON syntax error/ },
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const got = readDocuments(c.path, c.text);
      expect(got.documents).toEqual([]);
      expect(got.issues).toHaveLength(1);
      expect(got.issues[0]).toMatchObject({ path: c.path, line: c.want.line });
      expect(got.issues[0]?.message).toMatch(c.want.message);
    });
  }

  test('a duplicate key drops only its own document', () => {
    const got = readDocuments('a.yaml', 'kind: A\n---\nkind: B\nkind: C\n---\nkind: D\n');
    expect(got.documents.map((d) => d.value)).toEqual([{ kind: 'A' }, { kind: 'D' }]);
    expect(got.issues).toEqual([
      { path: 'a.yaml', line: 4, message: 'YAML syntax error at line 4, column 1: duplicated mapping key' },
    ]);
  });
});

describe('other inputs', () => {
  const cases = [
    { note: 'an empty file', path: 'a.yaml', text: '', values: [], lines: [] },
    { note: 'only comments and separators', path: 'a.yml', text: '# x\n---\n---\n', values: [], lines: [] },
    {
      note: 'an explicit null document is skipped',
      path: 'a.yaml',
      text: '~\n---\na: 1\n',
      values: [{ a: 1 }],
      lines: [3],
    },
    {
      note: 'JSON is one document, duplicate keys as JSON.parse',
      path: 'a.json',
      text: '\n{"a": 1, "a": 2}',
      values: [{ a: 2 }],
      lines: [2],
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const got = readDocuments(c.path, c.text);
      expect(got.issues).toEqual([]);
      expect(got.documents.map((d) => d.value)).toEqual(c.values);
      expect(got.documents.map((d) => d.line)).toEqual(c.lines);
    });
  }

  test('JSON documents locate their fields', () => {
    const text = '{\n  "spec": {\n    "teams": [\n      "a",\n      "b"\n    ]\n  }\n}\n';
    const [doc] = readDocuments('a.json', text).documents;
    expect(doc?.locate('spec.teams[1]')).toBe(5);
    expect(doc?.locate('spec')).toBe(2);
  });
});
