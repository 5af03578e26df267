/**
 * A folder's files can be broken, hostile or strange; none of it may take objects out of force by
 * accident or stop the source: a file that does not read cleanly keeps its last good objects, a
 * duplicate serves its first declaration, special files are never opened, limits refuse a file
 * before it is parsed, and a path that turns into a folder and back is followed.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { DeclaredInput, Resource } from '../../../src/engine/index.ts';
import { DirectorySource, type DirectorySourceOptions } from '../../../src/sources/index.ts';
import { BILLION_LAUGHS } from '../../support/hostile-inputs.ts';
import { eventually } from '../../support/railyard-process.ts';
import { writeTree } from '../../support/trees.ts';

const guardrail = (name: string, word: string) => `apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: ${name}}
spec: {type: keywords, mode: pre_call, config: {words: [${word}]}}
`;
const two = `${guardrail('a', 'x')}---\n${guardrail('b', 'y')}`;

const open: { source: DirectorySource; stop: AbortController }[] = [];
afterEach(async () => {
  for (const { source, stop } of open.splice(0)) {
    stop.abort();
    await source.stop();
  }
});

/** A started source over `dir`; `seen(check)` waits for a notified view that passes `check`. */
async function started(dir: string, opts: Partial<DirectorySourceOptions> = {}) {
  const views: DeclaredInput[] = [];
  const problems: string[] = [];
  const source = new DirectorySource({
    dirs: [dir],
    onError: (e) => expect.unreachable(String(e)),
    onFileProblem: (_path, message) => problems.push(message),
    ...opts,
  });
  const stop = new AbortController();
  open.push({ source, stop });
  await source.start(() => void views.push(source.view()), stop.signal);
  const seen = (check: (v: DeclaredInput) => boolean, from = 0) =>
    eventually(async () => views.slice(from).find(check), 15_000);
  return { source, views, problems, seen };
}

const byName = (v: DeclaredInput, name: string): Resource | undefined =>
  v.resources.find((r) => r.name === name);
const wordOf = (r: Resource | undefined) =>
  r?.kind === 'Guardrail' ? (r.spec.config as { words?: unknown[] }).words?.[0] : undefined;
const messages = (v: DeclaredInput) => v.rejected.flatMap((r) => r.issues.map((i) => i.message));

describe('a file that does not read cleanly keeps its last good objects', () => {
  const cases = [
    { note: 'a YAML syntax error appended', breakIt: (f: string) => appendFile(f, '  bad: [unclosed\n') },
    { note: 'a file cut in the middle of a document', breakIt: (f: string) => truncate(f, two.length - 40) },
    {
      note: 'a document with no kind',
      breakIt: (f: string) => writeFile(f, `${guardrail('a', 'x')}---\napiVersion: railyard.dev/v1alpha1\n`),
    },
    { note: 'a file over the size limit', breakIt: (f: string) => appendFile(f, `# ${'x'.repeat(5000)}\n`) },
  ];
  for (const c of cases)
    test(c.note, async () => {
      const dir = await writeTree({ 'g.yaml': two, 'other.yaml': guardrail('c', 'z') });
      const { source, views, seen } = await started(dir, {
        yamlLimits: { maxFileBytes: 4096, maxDocuments: 100, maxDepth: 32, maxAliasNodes: 100 },
      });
      const before = source.view();
      const from = views.length;
      await c.breakIt(join(dir, 'g.yaml'));
      const broken = await seen((v) => v.rejected.length > 0, from);
      for (const name of ['a', 'b', 'c']) expect(byName(broken, name), name).toBe(byName(before, name));
      const problem = broken.rejected.find((r) => r.key === undefined);
      expect(problem?.origin).toMatchObject({ kind: 'file', path: 'g.yaml' });
      expect(messages(broken).join('\n')).toMatch(/keeps? serving until it reads cleanly/);

      // Once it reads cleanly again, what it says now is what serves.
      await writeFile(join(dir, 'g.yaml'), guardrail('a', 'fixed'));
      const fixed = await seen((v) => wordOf(byName(v, 'a')) === 'fixed' && v.rejected.length === 0);
      expect(byName(fixed, 'b')).toBeUndefined();
      expect(byName(fixed, 'c')).toBe(byName(before, 'c'));
    });

  test('at start-up a broken file is reported and the rest serves', async () => {
    const dir = await writeTree({ 'g.yaml': `${two}  bad: [unclosed\n`, 'other.yaml': guardrail('c', 'z') });
    const { source, problems } = await started(dir);
    expect(source.synced()).toBe(true);
    const view = source.view();
    expect(view.resources.map((r) => r.name)).toEqual(['c']);
    expect(view.rejected[0]?.origin).toEqual({ kind: 'file', path: 'g.yaml', line: 10 });
    expect(problems).toEqual([expect.stringMatching(/g\.yaml:10: YAML syntax error at line 10/)]);
  });

  test('an emptied file deletes what it declared (once it still reads empty after a moment)', async () => {
    const dir = await writeTree({ 'g.yaml': two, 'other.yaml': guardrail('c', 'z') });
    const { seen, views } = await started(dir);
    const from = views.length;
    await writeFile(join(dir, 'g.yaml'), '# nothing here any more\n');
    const emptied = await seen((v) => byName(v, 'a') === undefined, from);
    expect(byName(emptied, 'b')).toBeUndefined();
    expect(byName(emptied, 'c')).toBeDefined();
    expect(emptied.rejected).toEqual([]);
  });

  test('a truncate-then-write writer never shows an empty file to the view', async () => {
    const dir = await writeTree({ 'g.yaml': two });
    const { views } = await started(dir);
    const from = views.length;
    await writeFile(join(dir, 'g.yaml'), '');
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(dir, 'g.yaml'), `${two}# edited\n`);
    await new Promise((r) => setTimeout(r, 300));
    expect(views.slice(from).every((v) => byName(v, 'a') !== undefined)).toBe(true);
  });
});

describe('the same object declared twice', () => {
  test('serves the first by path; the other is an error naming both files', async () => {
    const dir = await writeTree({ 'a.yaml': guardrail('g', 'first'), 'b.yaml': guardrail('g', 'second') });
    const { source } = await started(dir);
    const view = source.view();
    expect(view.resources.map((r) => [r.name, wordOf(r)])).toEqual([['g', 'first']]);
    expect(view.rejected).toHaveLength(1);
    expect(view.rejected[0]?.origin).toEqual({ kind: 'file', path: 'b.yaml', line: 1 });
    expect(messages(view)[0]).toBe(
      `Guardrail "g" is also declared at a.yaml:1, which is in force (the first by file path, then line); this copy is ignored until one of them is removed`,
    );
  });
  test('within one file, the first by line', async () => {
    const dir = await writeTree({ 'a.yaml': `${guardrail('g', 'first')}---\n${guardrail('g', 'second')}` });
    const { source } = await started(dir);
    expect(source.view().resources.map(wordOf)).toEqual(['first']);
    expect(source.view().rejected[0]?.origin).toMatchObject({ line: 6 });
  });
});

describe('hostile files', () => {
  test('a billion-laughs file is refused with its line, and the rest serves', async () => {
    const dir = await writeTree({ 'lol.yaml': BILLION_LAUGHS, 'other.yaml': guardrail('c', 'z') });
    const { source } = await started(dir);
    const view = source.view();
    expect(view.resources.map((r) => r.name)).toEqual(['c']);
    expect(view.rejected.map((r) => [r.origin, r.issues[0]?.message])).toEqual([
      [
        { kind: 'file', path: 'lol.yaml', line: 10 },
        'its aliases expand to more than 10000 nodes (--yaml-max-alias-nodes); the file was not read',
      ],
    ]);
  });

  test('a 9 MB file is refused by its size, unread', async () => {
    const dir = await writeTree({ 'other.yaml': guardrail('c', 'z') });
    const attachment = (i: number) =>
      `apiVersion: railyard.dev/v1alpha1\nkind: PolicyAttachment\nmetadata: {name: a${i}}\nspec: {policy: p, scope: "*"}\n---\n`;
    await writeFile(
      join(dir, 'huge.yaml'),
      Array.from({ length: 100_000 }, (_, i) => attachment(i)).join(''),
    );
    const { source } = await started(dir);
    const view = source.view();
    expect(view.resources.map((r) => r.name)).toEqual(['c']);
    expect(messages(view)).toEqual([
      expect.stringMatching(
        /^file is \d{7,} bytes, over the limit of 8388608 \(--yaml-max-file-bytes\); it was not read$/,
      ),
    ]);
  });

  test('a named pipe is skipped with a warning, never opened, and later changes still sync', async () => {
    const dir = await writeTree({ 'g.yaml': guardrail('a', 'x') });
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    const { source, seen, problems } = await started(dir);
    expect(source.synced()).toBe(true);
    expect(source.view().rejected.map((r) => r.issues[0])).toEqual([
      {
        code: 'invalid_syntax',
        severity: 'warning',
        path: 'pipe.yaml',
        message: 'a named pipe (FIFO), not a regular file: skipped, never opened',
      },
    ]);
    expect(problems).toHaveLength(1);
    await writeFile(join(dir, 'g.yaml'), guardrail('a', 'after'));
    await seen((v) => wordOf(byName(v, 'a')) === 'after');
  });

  test('a path that turns from file into folder and back is followed every time', async () => {
    const dir = await writeTree({ 'p.yaml': guardrail('p', 'w0') });
    const { seen } = await started(dir, { resyncMs: 60_000 });
    const path = join(dir, 'p.yaml');
    for (let i = 1; i <= 6; i++) {
      await rm(path);
      await mkdir(path);
      await writeFile(join(path, 'inner.yaml'), guardrail(`inner${i}`, 'x'));
      await seen((v) => byName(v, `inner${i}`) !== undefined && byName(v, 'p') === undefined);
      await rm(path, { recursive: true });
      await writeFile(`${path}.tmp`, guardrail('p', `w${i}`));
      await rename(`${path}.tmp`, path);
      await seen((v) => wordOf(byName(v, 'p')) === `w${i}` && byName(v, `inner${i}`) === undefined);
    }
  });
});
