import { describe, expect, test } from 'vitest';
import { answer, chooseNamespace, Registry } from '../../../src/registry/index.ts';
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

describe('namespaces a floor makes served', () => {
  const yaml = (floorNamespaces: string) => `apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: p, namespace: ai}
spec: {guardrails: {add: [g]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: all, namespace: ai}
spec: {policy: p, scope: "*"}
---
apiVersion: railyard.dev/v1alpha1
kind: GuardrailFloor
metadata: {name: f}
spec: {guardrails: [pii], namespaces: ${floorNamespaces}}`;
  const snapshotOf = async (floorNamespaces: string, labels?: Map<string, Record<string, string>>) => {
    const app = new Registry({ store: createMemoryStore() });
    await app.load();
    const file = resourcesFromText('/t/x.yaml', yaml(floorNamespaces), 'default');
    await app.applyDeclared({
      resources: file.resources,
      rejected: [],
      ...(labels ? { namespaceLabels: labels } : {}),
    });
    return app.snapshot();
  };

  test('a namespace named by a floor is served with the floor alone', async () => {
    const s = await snapshotOf('[sandbox]');
    expect([...s.namespaces.keys()]).toEqual(['ai', 'sandbox']);
    expect(resolveIn(s, 'sandbox')).toEqual(['pii']);
  });

  test('a request that names no namespace still goes to the only one with objects of its own', async () => {
    const s = await snapshotOf('[sandbox]');
    expect(chooseNamespace(s, undefined, 'default')).toMatchObject({ ok: true, view: { namespace: 'ai' } });
    // Kubernetes mode, "*": every namespace that exists is served, the choice is the same.
    const k = await snapshotOf(
      '["*"]',
      new Map([
        ['ai', {}],
        ['kube-system', {}],
        ['team-b', {}],
      ]),
    );
    expect([...k.namespaces.keys()]).toEqual(['ai', 'kube-system', 'team-b']);
    expect(chooseNamespace(k, undefined, 'default')).toMatchObject({ ok: true, view: { namespace: 'ai' } });
    expect(resolveIn(k, 'ai')).toEqual(['g', 'pii']);
  });
});

function resolveIn(s: Awaited<ReturnType<Registry['snapshot']>>, ns: string): readonly string[] {
  const a = answer('resolve', s, { namespace: ns, context: {} }, { defaultNamespace: 'default' });
  return a.ok ? a.value.effectiveGuardrails : [];
}
