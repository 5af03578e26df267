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

describe('the snapshot revision: a digest of what is served', () => {
  const fixedClock = () => ({
    now: () => new Date('2026-01-01T00:00:00Z'),
    newId: (() => {
      let n = 0;
      return () => `id-${++n}`;
    })(),
  });

  test('two registries with the same state give the same revision, whatever the order of declaration', async () => {
    const store = createMemoryStore();
    const a = new Registry({ store, ...fixedClock() });
    await a.load();
    const input = declared('g-one');
    await a.applyDeclared(input);
    // A second replica: the histories the first one stored, the same objects listed in another order.
    const b = new Registry({ store, ...fixedClock() });
    await b.load();
    await b.applyDeclared({ ...input, resources: [...input.resources].reverse() });
    expect(b.snapshot().revision).toBe(a.snapshot().revision);
  });

  test('a change of content changes it; a change of status alone keeps it and wakes no long-poll', async () => {
    const r = new Registry({ store: createMemoryStore() });
    await r.load();
    const input = declared('g-one');
    await r.applyDeclared(input);
    const first = r.snapshot();
    // An invalid document for an existing policy: its status changes, its last good version serves.
    const invalid = resourcesFromText(
      '/t/broken.yaml',
      'apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: mu}\nspec: {guardrails: {add: [x]}, inherit: nowhere}',
      'default',
    );
    const waiting = r.waitForChange(first.revision, 200);
    await r.applyDeclared({
      resources: [
        ...input.resources.filter((x) => x.kind !== 'Policy' || x.name !== 'mu'),
        ...invalid.resources,
      ],
      rejected: [],
    });
    expect(r.snapshot()).not.toBe(first);
    expect(r.snapshot().statuses).not.toEqual(first.statuses);
    expect(r.snapshot().revision).toBe(first.revision);
    expect(await waiting).toBeUndefined();

    await r.applyDeclared(declared('g-two'));
    expect(r.snapshot().revision).not.toBe(first.revision);
  });
});
