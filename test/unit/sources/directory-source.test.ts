import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { DeclaredInput, Resource } from '../../../src/engine/index.ts';
import { DirectorySource } from '../../../src/sources/index.ts';
import { eventually } from '../../support/railyard-process.ts';
import { writeTree } from '../../support/trees.ts';

const guardrail = (name: string, word: string) => `
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: ${name}}
spec: {type: keywords, mode: pre_call, config: {words: [${word}]}}
`;

test('re-reading a file keeps the identity of the objects it declares unchanged', async () => {
  const dir = await writeTree({ 'g.yaml': `${guardrail('a', 'x')}---${guardrail('b', 'y')}` });
  const views: DeclaredInput[] = [];
  const source = new DirectorySource({ dirs: [dir], onError: (e) => expect.unreachable(String(e)) });
  const stop = new AbortController();
  await source.start(() => void views.push(source.view()), stop.signal);
  try {
    const byName = (v: DeclaredInput | undefined, name: string): Resource | undefined =>
      v?.resources.find((r) => r.name === name);
    const first = views.at(-1);
    await writeFile(join(dir, 'g.yaml'), `${guardrail('a', 'x')}---${guardrail('b', 'z')}`);
    const second = await eventually(async () => {
      const v = views.at(-1);
      return v !== first ? v : undefined;
    });
    expect(byName(second, 'a')).toBe(byName(first, 'a'));
    expect(byName(second, 'b')).not.toBe(byName(first, 'b'));
    expect(byName(second, 'b')?.spec).toMatchObject({ config: { words: ['z'] } });
  } finally {
    stop.abort();
    await source.stop();
  }
});
