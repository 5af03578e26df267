import { describe, expect, test } from 'vitest';
import {
  type DeclaredInput,
  type DeclaredState,
  emptyDeclaredState,
  type PassOptions,
  type PolicyHistory,
  type Resource,
  reconcileDeclared,
  resourceKey,
} from '../../../src/engine/index.ts';
import { edit, random, randomLabels, randomResource, sameKeyVariant } from './random-resources.ts';

const origin = { kind: 'file', path: 'p.yaml', line: 1 } as const;
const guardrail = (name: string): Resource => ({
  kind: 'Guardrail',
  namespace: 'ns',
  name,
  origin,
  spec: { type: 'keywords', mode: 'pre_call', failurePolicy: 'closed', config: { words: ['x'] } },
});
const policy = (
  name: string,
  add: string[],
  extra: Partial<Extract<Resource, { kind: 'Policy' }>['spec']> = {},
): Resource => ({
  kind: 'Policy',
  namespace: 'ns',
  name,
  origin,
  spec: { guardrails: { add, remove: [] }, versionStatus: 'production', ...extra },
});
const attachment = (name: string, policyName: string): Resource => ({
  kind: 'PolicyAttachment',
  namespace: 'ns',
  name,
  origin,
  spec: { policy: policyName, scope: '*', teams: [], keys: [], models: [], tags: [], priority: 0 },
});

/** Deterministic ids and time, so two passes over the same input are byte-identical. */
function envFor(prefix = 'id') {
  let n = 0;
  return { now: '2026-01-01T00:00:00.000Z', newId: () => `${prefix}-${++n}`, actor: null };
}

const pass = (prev: DeclaredState, input: Partial<DeclaredInput>) =>
  reconcileDeclared(prev, { resources: [], rejected: [], ...input }, { env: envFor() });

const catalog = ['g-a', 'g-b'].map(guardrail);
const status = (s: DeclaredState, kind: string, name: string) =>
  s.statuses.get(resourceKey({ kind: kind as Resource['kind'], namespace: 'ns', name }));
const condition = (s: DeclaredState, kind: string, name: string, type: string) =>
  status(s, kind, name)?.conditions.find((c) => c.type === type);

describe('reconcileDeclared', () => {
  test('a policy is versioned under the name proxies know; renaming it retires the old name', () => {
    const named = (policyName: string) => policy('finance', ['g-a'], { policyName });
    const first = pass(emptyDeclaredState(), {
      resources: [...catalog, named('Finance_Baseline'), attachment('fin', 'Finance_Baseline')],
    }).next;
    expect(first.histories.get('ns/Finance_Baseline')?.active).toBe(true);
    expect(first.histories.has('ns/finance')).toBe(false);
    expect(status(first, 'Policy', 'finance')?.policy?.policyName).toBe('Finance_Baseline');
    expect(condition(first, 'PolicyAttachment', 'fin', 'Ready')).toMatchObject({ status: 'True' });

    const renamed = pass(first, {
      resources: [...catalog, named('finance.v2'), attachment('fin', 'Finance_Baseline')],
    }).next;
    expect(renamed.histories.get('ns/Finance_Baseline')?.active).toBe(false);
    expect(renamed.histories.get('ns/finance.v2')?.active).toBe(true);
    expect(condition(renamed, 'PolicyAttachment', 'fin', 'Ready')).toMatchObject({ status: 'False' });
  });

  test('valid objects get versions and Accepted/Ready conditions', () => {
    const { next, changes } = pass(emptyDeclaredState(), {
      resources: [...catalog, policy('base', ['g-a']), attachment('all', 'base')],
    });
    expect(next.histories.get('ns/base')?.versions.map((v) => [v.versionNumber, v.status])).toEqual([
      [1, 'production'],
    ]);
    expect(condition(next, 'Policy', 'base', 'Ready')).toMatchObject({
      status: 'True',
      reason: 'InProduction',
    });
    expect(condition(next, 'PolicyAttachment', 'all', 'Ready')).toMatchObject({ status: 'True' });
    expect(changes.filter((c) => c.kind === 'version').length).toBeGreaterThan(0);
  });

  test('an invalid edit keeps the last good version in force and says so', () => {
    const first = pass(emptyDeclaredState(), { resources: [...catalog, policy('base', ['g-a'])] }).next;
    const { next, changes } = pass(first, {
      resources: [...catalog, policy('base', ['g-a'], { inherit: 'missing' })],
    });
    expect(next.lastGood.get('Policy/ns/base')).toBe(first.lastGood.get('Policy/ns/base'));
    expect(condition(next, 'Policy', 'base', 'Accepted')).toMatchObject({ status: 'False' });
    expect(condition(next, 'Policy', 'base', 'Accepted')?.message).toContain('missing');
    expect(condition(next, 'Policy', 'base', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
    });
    expect(condition(next, 'Policy', 'base', 'Ready')?.message).toContain('last good version keeps serving');
    expect(next.histories.get('ns/base')?.versions).toHaveLength(1);
    expect(changes.map((c) => c.kind)).toEqual(['invalid']);
  });

  test('a parent whose new document fails the schema still counts for its children', () => {
    const first = pass(emptyDeclaredState(), {
      resources: [...catalog, policy('parent', ['g-a']), policy('child', ['g-b'], { inherit: 'parent' })],
    }).next;
    const { next } = pass(first, {
      resources: [...catalog, policy('child', ['g-b'], { inherit: 'parent' })],
      rejected: [
        {
          key: { kind: 'Policy', namespace: 'ns', name: 'parent' },
          origin,
          issues: [{ code: 'invalid_schema', severity: 'error', path: 'spec.x', message: 'unknown field' }],
        },
      ],
    });
    expect(condition(next, 'Policy', 'child', 'Accepted')).toMatchObject({ status: 'True' });
    expect(condition(next, 'Policy', 'parent', 'Accepted')).toMatchObject({ status: 'False' });
    expect(next.lastGood.has('Policy/ns/parent')).toBe(true);
  });

  test('a deleted policy leaves resolution and keeps its history', () => {
    const first = pass(emptyDeclaredState(), { resources: [...catalog, policy('base', ['g-a'])] }).next;
    const { next, changes } = pass(first, { resources: catalog });
    const history = next.histories.get('ns/base') as PolicyHistory;
    expect(history.active).toBe(false);
    expect(history.versions).toHaveLength(1);
    expect(status(next, 'Policy', 'base')).toBeUndefined();
    expect(changes).toEqual([{ kind: 'removed', key: { kind: 'Policy', namespace: 'ns', name: 'base' } }]);
  });

  test('an attachment to a draft policy is accepted but not ready', () => {
    const { next } = pass(emptyDeclaredState(), {
      resources: [...catalog, policy('draft', ['g-a'], { versionStatus: 'draft' }), attachment('d', 'draft')],
    });
    expect(condition(next, 'PolicyAttachment', 'd', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PolicyNotInProduction',
    });
    expect(next.statuses.get('PolicyAttachment/ns/d')?.attachment).toEqual({ policyHasProduction: false });
  });

  test('the order of declaration never changes the outcome', () => {
    const resources = [
      ...catalog,
      policy('a', ['g-a']),
      policy('b', ['g-b'], { inherit: 'a' }),
      attachment('x', 'b'),
    ];
    const forward = pass(emptyDeclaredState(), { resources }).next;
    const backward = pass(emptyDeclaredState(), { resources: [...resources].reverse() }).next;
    const view = (s: DeclaredState) =>
      JSON.stringify({
        statuses: [...s.statuses.entries()].sort(),
        histories: [...s.histories.entries()].sort().map(([k, h]) => [k, h.versions.map((v) => v.digest)]),
      });
    expect(view(backward)).toEqual(view(forward));
  });

  test('a declared policy adopts the history of an API-created policy of the same name', () => {
    const api: PolicyHistory = {
      namespace: 'ns',
      name: 'base',
      origin: { kind: 'api' },
      active: true,
      versions: pass(emptyDeclaredState(), {
        resources: [...catalog, policy('base', ['g-a'])],
      }).next.histories.get('ns/base')?.versions as PolicyHistory['versions'],
    };
    const { next, changes } = reconcileDeclared(
      emptyDeclaredState(new Map([['ns/base', api]])),
      { resources: [...catalog, policy('base', ['g-b'])], rejected: [] },
      { env: envFor('adopt') },
    );
    const history = next.histories.get('ns/base') as PolicyHistory;
    expect(history.origin).toEqual(origin);
    expect(history.versions.map((v) => [v.versionNumber, v.status])).toEqual([
      [1, 'published'],
      [2, 'production'],
    ]);
    expect(changes).toContainEqual({
      kind: 'version',
      key: { kind: 'Policy', namespace: 'ns', name: 'base' },
      change: { kind: 'adopted', from: { kind: 'api' } },
    });
  });

  test('observe mode takes the histories as given: a follower never writes versions', () => {
    const leader = pass(emptyDeclaredState(), { resources: [...catalog, policy('base', ['g-a'])] }).next;
    const edited = [...catalog, policy('base', ['g-b'])];
    const follower = reconcileDeclared(
      { ...emptyDeclaredState(leader.histories) },
      { resources: edited, rejected: [] },
      { env: envFor(), versioning: 'observe' },
    ).next;
    expect(follower.histories).toEqual(leader.histories);
    expect(follower.statuses.get('Policy/ns/base')?.policy).toMatchObject({
      productionVersion: 1,
      latestVersion: 1,
    });
    const gone = reconcileDeclared(
      leader,
      { resources: catalog, rejected: [] },
      { env: envFor(), versioning: 'observe' },
    );
    expect(gone.next.histories.get('ns/base')?.active).toBe(true);
  });
});

describe('reconcileDeclared: Ready says only what is true', () => {
  const webhook = (name: string, url?: string): Resource => ({
    kind: 'Guardrail',
    namespace: 'ns',
    name,
    origin,
    spec: { type: 'webhook', mode: 'pre_call', failurePolicy: 'closed', config: url ? { url } : {} },
  });
  const ready = (s: DeclaredState, name: string) => condition(s, 'Policy', name, 'Ready');
  const usesHook = policy('p', ['g-a', 'hook']);

  const cases: {
    note: string;
    steps: Resource[][];
    want: { status: string; reason: string; message?: RegExp };
    accepted?: string;
  }[] = [
    {
      note: 'a guardrail that exists but is invalid: accepted, not ready',
      steps: [[...catalog, webhook('hook'), policy('p', ['g-a', 'hook'])]],
      want: { status: 'False', reason: 'GuardrailInvalid', message: /guardrail "hook" is invalid/ },
      accepted: 'True',
    },
    {
      note: 'the invalid guardrail fixed: ready again',
      steps: [
        [...catalog, webhook('hook'), policy('p', ['g-a', 'hook'])],
        [...catalog, webhook('hook', 'https://x'), policy('p', ['g-a', 'hook'])],
      ],
      want: { status: 'True', reason: 'InProduction' },
    },
    {
      // The policy is the same object in both passes: its status must not be re-used as it was.
      note: 'the invalid guardrail fixed in a pass that also adds an object: ready again',
      steps: [
        [...catalog, webhook('hook'), usesHook],
        [...catalog, webhook('hook', 'https://x'), usesHook, attachment('all', 'p')],
      ],
      want: { status: 'True', reason: 'InProduction' },
    },
    {
      note: 'a guardrail edited into an invalid spec keeps its last good version: still ready',
      steps: [
        [...catalog, webhook('hook', 'https://x'), policy('p', ['hook'])],
        [...catalog, webhook('hook'), policy('p', ['hook'])],
      ],
      want: { status: 'True', reason: 'InProduction' },
    },
    {
      note: 'a guardrail in use deleted: not accepted, not ready, named',
      steps: [
        [...catalog, policy('p', ['g-a', 'g-b'])],
        [guardrail('g-a'), policy('p', ['g-a', 'g-b'])],
      ],
      want: { status: 'False', reason: 'GuardrailNotFound', message: /guardrail "g-b" is not declared/ },
      accepted: 'False',
    },
    {
      note: 'an inherited guardrail that is invalid: the child is not ready and says whose it is',
      steps: [
        [
          ...catalog,
          webhook('hook'),
          policy('parent', ['hook']),
          policy('child', ['g-a'], { inherit: 'parent' }),
        ],
      ],
      want: { status: 'False', reason: 'GuardrailInvalid', message: /"hook" \(from policy "parent"\)/ },
    },
    {
      note: 'a parent with no production version: its guardrails do not apply, so not ready',
      steps: [
        [
          ...catalog,
          policy('parent', ['g-a'], { versionStatus: 'draft' }),
          policy('child', ['g-b'], { inherit: 'parent' }),
        ],
      ],
      want: { status: 'False', reason: 'ParentNotInProduction', message: /parent policy "parent"/ },
    },
    {
      note: 'no catalog in the namespace: guardrail names are the proxy’s business',
      steps: [[policy('p', ['anything'])]],
      want: { status: 'True', reason: 'InProduction' },
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      let state = emptyDeclaredState();
      let fresh = emptyDeclaredState();
      for (const resources of c.steps) {
        state = pass(state, { resources }).next;
        const { memo: _memo, ...withoutMemo } = state;
        fresh = pass({ ...withoutMemo }, { resources }).next;
      }
      const name = c.steps.at(-1)?.some((r) => r.name === 'child') ? 'child' : 'p';
      for (const s of [state, fresh]) {
        expect(ready(s, name)).toMatchObject({ status: c.want.status, reason: c.want.reason });
        if (c.want.message) expect(ready(s, name)?.message).toMatch(c.want.message);
        if (c.accepted) expect(condition(s, 'Policy', name, 'Accepted')?.status).toBe(c.accepted);
      }
    });
  }

  test('an invalid edit keeps the version numbers of what serves', () => {
    const first = pass(emptyDeclaredState(), { resources: [...catalog, policy('p', ['g-a'])] }).next;
    const { next } = pass(first, {
      resources: [...catalog, policy('p', ['g-a'], { condition: { model: '(' } })],
    });
    expect(status(next, 'Policy', 'p')?.policy).toMatchObject({
      latestVersion: 1,
      productionVersion: 1,
      latestDigest: first.histories.get('ns/p')?.versions[0]?.digest,
    });
  });

  test('an attachment to an undeclared policy says so; to a draft, that it waits for a promotion', () => {
    const { next } = pass(emptyDeclaredState(), {
      resources: [
        ...catalog,
        policy('d', ['g-a'], { versionStatus: 'draft' }),
        attachment('x', 'nope'),
        attachment('y', 'd'),
      ],
    });
    expect(condition(next, 'PolicyAttachment', 'x', 'Ready')).toMatchObject({ reason: 'PolicyNotFound' });
    expect(condition(next, 'PolicyAttachment', 'y', 'Ready')).toMatchObject({
      reason: 'PolicyNotInProduction',
    });
  });
});

describe('reconcileDeclared with a store that cannot keep everything (fitHistory)', () => {
  const big = (n: number) => policy('p', ['g-a'], { description: `v${n}` });
  const refuseAbove = (versions: number) => (h: PolicyHistory) =>
    h.versions.length > versions
      ? { ok: false as const, message: `${h.versions.length} versions do not fit` }
      : { ok: true as const, history: h, dropped: [] };
  const run = (prev: DeclaredState, resources: Resource[], fitHistory: PassOptions['fitHistory']) =>
    reconcileDeclared(prev, { resources, rejected: [] }, { env: envFor(), fitHistory });

  test('a history that does not fit is not recorded: what is stored serves, Ready=False, Degraded=True', () => {
    let state = run(emptyDeclaredState(), [...catalog, big(1)], refuseAbove(1)).next;
    const stored = state.histories.get('ns/p');
    const edited = [...catalog, big(2)];
    const { next, changes } = run(state, edited, refuseAbove(1));
    state = next;
    expect(state.histories.get('ns/p')).toBe(stored);
    expect(changes).toEqual([
      {
        kind: 'not_stored',
        key: { kind: 'Policy', namespace: 'ns', name: 'p' },
        message: '2 versions do not fit',
      },
    ]);
    expect(condition(state, 'Policy', 'p', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'HistoryNotStored',
    });
    expect(condition(state, 'Policy', 'p', 'Ready')?.message).toContain('version 1 is in production');
    expect(condition(state, 'Policy', 'p', 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'HistoryNotStored',
    });
    expect(status(state, 'Policy', 'p')?.policy).toMatchObject({ latestVersion: 1, productionVersion: 1 });
    // The same objects again: nothing new to try, the status stays.
    const again = run(state, edited, refuseAbove(1));
    expect(again.changes).toEqual([]);
    expect(condition(again.next, 'Policy', 'p', 'Degraded')?.status).toBe('True');
    // A spec that fits clears it.
    const reverted = run(again.next, [...catalog, big(1)], refuseAbove(1)).next;
    expect(condition(reverted, 'Policy', 'p', 'Degraded')).toMatchObject({ status: 'False' });
    expect(condition(reverted, 'Policy', 'p', 'Ready')).toMatchObject({ status: 'True' });
  });

  test('versions the store dropped are reported', () => {
    const dropFirst = (h: PolicyHistory) =>
      h.versions.length > 1
        ? { ok: true as const, history: { ...h, versions: h.versions.slice(1) }, dropped: [1] }
        : { ok: true as const, history: h, dropped: [] };
    const first = run(emptyDeclaredState(), [...catalog, big(1)], dropFirst).next;
    const { next, changes } = run(first, [...catalog, big(2)], dropFirst);
    expect(next.histories.get('ns/p')?.versions.map((v) => v.versionNumber)).toEqual([2]);
    expect(changes).toContainEqual({
      kind: 'pruned',
      key: { kind: 'Policy', namespace: 'ns', name: 'p' },
      versions: [1],
    });
  });
});

const sortedEntries = <T>(m: ReadonlyMap<string, T>): [string, T][] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * One step of a pass from the previous memo (`incremental`) and of a full pass (`full` without its
 * memo), checked to agree; returns both. Each pass gets its own options (its own id sequence). The
 * order of a state's maps is not part of the contract.
 */
function passBothWays(
  incremental: DeclaredState,
  full: DeclaredState,
  input: DeclaredInput,
  opts: () => PassOptions,
  step: number,
): { a: ReturnType<typeof reconcileDeclared>; b: ReturnType<typeof reconcileDeclared> } {
  const a = reconcileDeclared(incremental, input, opts());
  const { memo: _, ...fresh } = full;
  const b = reconcileDeclared(fresh, input, opts());
  expect(a.changes, `step ${step}`).toEqual(b.changes);
  expect(sortedEntries(a.next.statuses), `step ${step}`).toEqual(sortedEntries(b.next.statuses));
  expect(sortedEntries(a.next.lastGood)).toEqual(sortedEntries(b.next.lastGood));
  expect(sortedEntries(a.next.histories)).toEqual(sortedEntries(b.next.histories));
  return { a, b };
}

describe('reconcileDeclared, incremental', () => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    // Seeds 15 and 16 run where namespaces have labels (Kubernetes mode), which change now and then.
    const withLabels = seed >= 15;
    test(`a pass from the previous memo equals a pass without it over 150 random edits (seed ${seed}${withLabels ? ', namespace labels' : ''})`, () => {
      const rnd = random(seed);
      let labels = withLabels ? randomLabels(rnd) : undefined;
      let resources: Resource[] = [];
      let incremental = emptyDeclaredState();
      let full = emptyDeclaredState();
      const check = (g: Extract<Resource, { kind: 'Guardrail' }>) =>
        g.name === 'g2'
          ? [{ code: 'invalid_schema' as const, severity: 'error' as const, path: 'spec', message: 'x' }]
          : [];
      for (let step = 0; step < 150; step++) {
        resources = edit(rnd, resources, step);
        if (labels && rnd() < 0.1) labels = randomLabels(rnd);
        const input = { resources, rejected: [], ...(labels ? { namespaceLabels: labels } : {}) };
        const opts = () => ({ env: envFor(`s${step}`), checkGuardrailConfig: check });
        const { a, b } = passBothWays(incremental, full, input, opts, step);
        incremental = a.next;
        full = b.next;
      }
    });
  }

  for (const seed of [31, 32, 33]) {
    test(`objects edited in place: a pass that visits only what changed equals a full pass (seed ${seed})`, () => {
      const rnd = random(seed);
      const byKey = new Map<string, Resource>();
      for (let i = 0; i < 60; i++) {
        const r = randomResource(rnd, i);
        byKey.set(resourceKey(r), r);
      }
      let resources = [...byKey.values()];
      const opts = (step: number) => ({ env: envFor(`s${step}`) });
      let incremental = reconcileDeclared(emptyDeclaredState(), { resources, rejected: [] }, opts(0)).next;
      let full = incremental;
      for (let step = 1; step < 200; step++) {
        const at = Math.floor(rnd() * resources.length);
        resources = resources.slice();
        resources[at] = sameKeyVariant(rnd, resources[at] as Resource, 1000 + step);
        const input = { resources, rejected: [] };
        const { a, b } = passBothWays(incremental, full, input, () => opts(step), step);
        expect(a.next.memo?.validation.rechecked, `step ${step}`).toBeDefined();
        incremental = a.next;
        full = b.next;
      }
    });
  }
});

describe('reconcileDeclared with guardrail floors', () => {
  const floor = (
    name: string,
    spec: Partial<Extract<Resource, { kind: 'GuardrailFloor' }>['spec']>,
  ): Resource => ({
    kind: 'GuardrailFloor',
    namespace: '',
    name,
    origin,
    spec: { guardrails: ['g-a'], namespaces: ['ns'], ...spec },
  });
  const removing = policy('team', ['g-b'], { guardrails: { add: ['g-b'], remove: ['g-a'] } });
  const floorStatus = (s: DeclaredState, name: string) => s.statuses.get(`GuardrailFloor//${name}`);
  const floorCondition = (s: DeclaredState, name: string, type: string) =>
    floorStatus(s, name)?.conditions.find((c) => c.type === type);

  test('a policy that removes a mandatory guardrail stays valid and says the removal has no effect', () => {
    const { next } = pass(emptyDeclaredState(), { resources: [...catalog, floor('security', {}), removing] });
    const issues = status(next, 'Policy', 'team')?.issues;
    expect(issues).toEqual([
      {
        code: 'mandatory_guardrail',
        severity: 'warning',
        path: 'spec.guardrails.remove',
        message: '`g-a` is mandatory in namespace ns (GuardrailFloor "security"): its removal has no effect',
      },
    ]);
    expect(condition(next, 'Policy', 'team', 'Accepted')).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(condition(next, 'Policy', 'team', 'Accepted')?.message).toContain('its removal has no effect');
    expect(condition(next, 'Policy', 'team', 'Ready')).toMatchObject({ status: 'True' });
    expect(next.floors.get('ns')).toEqual([{ guardrail: 'g-a', floor: 'security' }]);
  });

  test('where the floor does not apply, the removal is not mentioned', () => {
    const { next } = pass(emptyDeclaredState(), {
      resources: [...catalog, floor('security', { namespaces: ['other'] }), removing],
    });
    expect(status(next, 'Policy', 'team')?.issues).toEqual([]);
    expect(floorStatus(next, 'security')?.floor?.namespaces).toEqual(['other']);
  });

  test('a floor is Ready where every selected namespace with a catalog has its guardrails', () => {
    const { next } = pass(emptyDeclaredState(), {
      resources: [...catalog, floor('security', { namespaces: ['*'] }), removing],
    });
    const s = floorStatus(next, 'security');
    expect(s?.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'Valid'],
      ['Ready', 'True', 'Enforced'],
    ]);
    expect(s?.floor).toEqual({ namespaces: ['ns'], missing: [] });
  });

  test('a floor whose guardrail a selected namespace lacks is not Ready, and names it', () => {
    const { next } = pass(emptyDeclaredState(), {
      resources: [...catalog, floor('security', { guardrails: ['g-a', 'secrets'] })],
    });
    const s = floorStatus(next, 'security');
    expect(s?.floor?.missing).toEqual([{ namespace: 'ns', guardrails: ['secrets'] }]);
    const ready = s?.conditions.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'GuardrailNotFound' });
    expect(ready?.message).toContain(
      '"secrets" of this floor is not in the guardrail catalog of namespace "ns"',
    );
  });

  test('a label selector is an error where namespaces have no labels, and selects by labels where they do', () => {
    const selecting = floor('pci', {
      namespaces: [],
      namespaceSelector: { matchLabels: { pci: 'true' }, matchExpressions: [] },
    });
    const directory = pass(emptyDeclaredState(), { resources: [...catalog, selecting, removing] }).next;
    expect(floorCondition(directory, 'pci', 'Accepted')).toMatchObject({ status: 'False' });
    expect(floorStatus(directory, 'pci')?.issues[0]?.path).toBe('spec.namespaceSelector');
    expect(directory.floors.size).toBe(0);
    expect(status(directory, 'Policy', 'team')?.issues).toEqual([]);

    const labels = new Map([
      ['ns', { pci: 'true' }],
      ['other', { pci: 'false' }],
    ]);
    const cluster = pass(emptyDeclaredState(), {
      resources: [...catalog, selecting, removing],
      namespaceLabels: labels,
    }).next;
    expect(floorCondition(cluster, 'pci', 'Accepted')).toMatchObject({ status: 'True' });
    expect(floorStatus(cluster, 'pci')?.floor?.namespaces).toEqual(['ns']);
    expect(status(cluster, 'Policy', 'team')?.issues.map((i) => i.code)).toEqual(['mandatory_guardrail']);
  });

  test('an invalid edit of a floor keeps its last good version in force', () => {
    const first = pass(emptyDeclaredState(), {
      resources: [...catalog, floor('security', {}), removing],
    }).next;
    const broken = floor('security', { namespaces: [] });
    const { next } = pass(first, { resources: [...catalog, broken, removing] });
    expect(floorCondition(next, 'security', 'Accepted')).toMatchObject({ status: 'False' });
    expect(floorCondition(next, 'security', 'Ready')?.message).toContain(
      'the last good version keeps serving',
    );
    expect(next.floors.get('ns')).toEqual([{ guardrail: 'g-a', floor: 'security' }]);
    expect(status(next, 'Policy', 'team')?.issues.map((i) => i.code)).toEqual(['mandatory_guardrail']);
  });

  test('a floor deleted: the removal takes effect again and the warning goes', () => {
    const first = pass(emptyDeclaredState(), {
      resources: [...catalog, floor('security', {}), removing],
    }).next;
    const { next, changes } = pass(first, { resources: [...catalog, removing] });
    expect(next.floors.size).toBe(0);
    expect(status(next, 'Policy', 'team')?.issues).toEqual([]);
    expect(changes).toContainEqual({
      kind: 'removed',
      key: { kind: 'GuardrailFloor', namespace: '', name: 'security' },
    });
  });
});
