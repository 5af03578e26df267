import { describe, expect, test } from 'vitest';
import type { Issue, Resource } from '../../../src/engine/types.ts';
import { revalidate, type ValidateOptions, validateResources } from '../../../src/engine/validate.ts';
import { edit, random, randomResource, sameKeyVariant } from './random-resources.ts';

const render = (m: ReadonlyMap<string, Issue[]>) => [...m];

describe('revalidate', () => {
  const options: ValidateOptions = {
    maxDepth: 3,
    checkGuardrailConfig: (g) =>
      g.spec.type === 'pii' && g.name === 'g2'
        ? [{ code: 'invalid_schema', severity: 'error', path: 'spec.config', message: 'g2 config' }]
        : [],
  };

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`incremental equals full validation over 300 random edits (seed ${seed})`, () => {
      const rnd = random(seed);
      let resources: Resource[] = [];
      let state = revalidate(resources, options);
      for (let step = 0; step < 300; step++) {
        const edits = 1 + Math.floor(rnd() * 3);
        for (let e = 0; e < edits; e++) resources = edit(rnd, resources, step * 10 + e);
        state = revalidate(resources, options, state);
        expect(render(state.issues), `seed ${seed} step ${step}`).toEqual(
          render(validateResources(resources, options)),
        );
      }
    });
  }

  for (const seed of [21, 22, 23]) {
    test(`objects edited in place (same keys, same positions) re-check only what they reach (seed ${seed})`, () => {
      const rnd = random(seed);
      // One declaration per key, as in a registry without duplicates.
      const byKey = new Map<string, Resource>();
      for (let i = 0; i < 80; i++) {
        const r = randomResource(rnd, i);
        byKey.set(`${r.kind}/${r.namespace}/${r.name}`, r);
      }
      let resources = [...byKey.values()];
      let state = revalidate(resources, options);
      for (let step = 0; step < 200; step++) {
        const at = Math.floor(rnd() * resources.length);
        resources = resources.slice();
        resources[at] = sameKeyVariant(rnd, resources[at] as Resource, 1000 + step);
        const before = state;
        state = revalidate(resources, options, before);
        expect(state.rechecked, `step ${step}`).toBeDefined();
        expect(render(state.issues), `seed ${seed} step ${step}`).toEqual(
          render(validateResources(resources, options)),
        );
        for (const [k, issues] of state.issues)
          if (!state.rechecked?.has(k)) expect(issues).toBe(before.issues.get(k));
      }
    });
  }

  test('an unchanged input keeps every issue array, the same objects', () => {
    const rnd = random(99);
    const resources = Array.from({ length: 40 }, (_, i) => randomResource(rnd, i));
    const first = revalidate(resources, options);
    const second = revalidate([...resources], options, first);
    for (const [k, issues] of second.issues) expect(issues).toBe(first.issues.get(k));
  });

  const p = (name: string, inherit?: string): Resource => ({
    kind: 'Policy',
    namespace: 'a',
    name,
    origin: { kind: 'file', path: `${name}.yaml`, line: 1 },
    spec: {
      ...(inherit ? { inherit } : {}),
      guardrails: { add: [], remove: [] },
      versionStatus: 'production',
    },
  });
  const cases = [
    {
      note: 'editing a leaf re-checks only the leaf',
      before: [p('root'), p('mid', 'root'), p('leaf', 'mid'), p('other')],
      edit: (rs: Resource[]) => rs.map((r) => (r.name === 'leaf' ? p('leaf', 'mid') : r)),
      rechecked: ['Policy/a/leaf'],
    },
    {
      note: 'removing a parent re-checks its descendants, not its siblings',
      before: [p('root'), p('mid', 'root'), p('leaf', 'mid'), p('other')],
      edit: (rs: Resource[]) => rs.filter((r) => r.name !== 'root'),
      rechecked: ['Policy/a/mid', 'Policy/a/leaf'],
    },
    {
      note: 'a new policy re-checks those that named it as their missing parent',
      before: [p('child', 'later'), p('other')],
      edit: (rs: Resource[]) => [...rs, p('later')],
      rechecked: ['Policy/a/child', 'Policy/a/later'],
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const first = revalidate(c.before, options);
      const after = c.edit(c.before);
      const second = revalidate(after, options, first);
      const rechecked = [...second.issues].filter(([k, v]) => v !== first.issues.get(k)).map(([k]) => k);
      expect(rechecked.sort()).toEqual([...c.rechecked].sort());
      expect(render(second.issues)).toEqual(render(validateResources(after, options)));
    });
  }
});
