import { describe, expect, test } from 'vitest';
import { Registry } from '../../../src/registry/index.ts';
import { resourcesFromText } from '../../../src/resources/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';

/** Policies and attachments declared out of name order, as files often are; `edited` changes one. */
function declared(edited: string) {
  const docs = ['zeta', 'alpha', 'mu', 'beta'].flatMap((name) => [
    `apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: ${name}}
spec:
  guardrails: {add: [${name === 'mu' ? edited : 'g-base'}]}`,
    `apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: at-${name}}
spec: {policy: ${name}, teams: [team-${name}]}`,
  ]);
  const file = resourcesFromText('/t/policies.yaml', docs.join('\n---\n'), 'default');
  return { resources: file.resources, rejected: file.rejected };
}

const sorted = (xs: readonly string[]) => [...xs].sort();

describe('buildSnapshot (through Registry)', () => {
  test('histories, attachments and statuses are sorted whatever the declaration order, after an edit too', async () => {
    const app = new Registry({ store: createMemoryStore() });
    await app.load();
    await app.applyDeclared(declared('g-one'));
    const first = app.snapshot();
    // The second snapshot is built from the first: the same names, one history replaced.
    await app.applyDeclared(declared('g-two'));
    const second = app.snapshot();
    for (const snapshot of [first, second]) {
      const view = snapshot.namespaces.get('default');
      const names = view?.histories.map((h) => h.name) ?? [];
      const ids = view?.attachments.map((a) => a.attachmentId) ?? [];
      const keys = snapshot.statuses.map((s) => `${s.key.kind}/${s.key.name}`);
      expect(names).toEqual(['alpha', 'beta', 'mu', 'zeta']);
      expect(ids).toEqual(['at-alpha', 'at-beta', 'at-mu', 'at-zeta']);
      expect(keys).toEqual(sorted(keys));
    }
    const mu = second.namespaces.get('default')?.histories.find((h) => h.name === 'mu');
    expect(mu?.versions.map((v) => v.content.guardrails.add)).toEqual([['g-one'], ['g-two']]);
    expect(second.namespaces.get('default')?.histories.filter((h) => h.name !== 'mu')).toEqual(
      first.namespaces.get('default')?.histories.filter((h) => h.name !== 'mu'),
    );
  });
});
