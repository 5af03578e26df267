import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySource } from '../../../src/sources/index.ts';
import { runSourceContract } from '../../support/source-contract.ts';

const guardrail = (name: string, spec: string) => `apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: ${name}}
spec: ${spec}
`;

// Every object lives in one multi-document file, so that each write re-reads the others too: the
// contract's identity and no-disturbance cases then test what a folder source must get right.
runSourceContract('DirectorySource', {
  newSource: async (seed) => {
    const dir = await mkdtemp(join(tmpdir(), 'railyard-source-'));
    const docs = new Map<string, string>();
    const flush = () => writeFile(join(dir, 'guardrails.yaml'), [...docs.values()].join('---\n'));
    const put = async (name: string, word: string) => {
      docs.set(name, guardrail(name, `{type: keywords, mode: pre_call, config: {words: [${word}]}}`));
      await flush();
    };
    for (const [name, word] of Object.entries(seed))
      docs.set(name, guardrail(name, `{type: keywords, mode: pre_call, config: {words: [${word}]}}`));
    await flush();
    return {
      source: new DirectorySource({ dirs: [dir] }),
      put,
      remove: async (name) => {
        docs.delete(name);
        await flush();
      },
      // The one file stops parsing: every object in it is then unreadable at once.
      putUnreadable: async () => {
        await writeFile(
          join(dir, 'guardrails.yaml'),
          `${[...docs.values()].join('---\n')}  bad: [unclosed\n`,
        );
      },
      putRejected: async (name) => {
        docs.set(name, guardrail(name, '{type: keywords, mode: sometimes, config: {words: [x]}}'));
        await flush();
        return { kind: 'Guardrail', namespace: 'default', name };
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
