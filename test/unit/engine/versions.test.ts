import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { contentDigest } from '../../../src/engine/digest.ts';
import {
  applyDeclared,
  type ContentPatch,
  compareVersions,
  createPolicy,
  createVersion,
  DELETE_PRODUCTION_WARNING,
  DEMOTE_PRODUCTION_WARNING,
  deactivateDeclared,
  deleteVersion,
  emptyHistory,
  isDeclared,
  latestVersion,
  productionVersion,
  setStatus,
  updateDraft,
  type VersionEnv,
  type VersionResult,
} from '../../../src/engine/index.ts';
import type {
  Origin,
  PolicyContent,
  PolicyHistory,
  PolicyResource,
  PolicyVersion,
  VersionStatus,
} from '../../../src/engine/types.ts';

// ───────────────────────────── helpers ─────────────────────────────

/** Deterministic ids (`id-1`, `id-2`, …) and timestamps (`t1`, `t2`, …): one tick per call. */
function clock(actor: string | null = 'alice') {
  let ids = 0;
  let ticks = 0;
  return (): VersionEnv => {
    ticks += 1;
    return { now: `t${ticks}`, actor, newId: () => `id-${++ids}` };
  };
}

type Ok = Extract<VersionResult, { ok: true }>;
function ok(r: VersionResult): Ok {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r;
}

const A: PolicyContent = { description: 'first', guardrails: { add: ['pii'], remove: [] } };
const B: PolicyContent = { description: 'second', guardrails: { add: ['pii', 'toxicity'], remove: [] } };
const C: PolicyContent = {
  guardrails: { add: ['secrets'], remove: ['pii'] },
  condition: { model: 'gpt-4.*' },
};

const byNumber = (h: PolicyHistory, n: number): PolicyVersion => {
  const v = h.versions.find((x) => x.versionNumber === n);
  if (v === undefined) throw new Error(`no v${n}`);
  return v;
};
const statuses = (h: PolicyHistory) => h.versions.map((v) => `v${v.versionNumber}:${v.status}`);
const productions = (h: PolicyHistory) => h.versions.filter((v) => v.status === 'production').length;

/** An API policy with v1 production (A), v2 published (B), v3 draft (C). */
function apiHistory(env = clock()) {
  let h = ok(createPolicy(undefined, 'ns', 'p', A, env())).history;
  h = ok(createVersion(h, undefined, env())).history;
  h = ok(
    updateDraft(h, byNumber(h, 2).policyId, { description: B.description, guardrails: B.guardrails }, env()),
  ).history;
  h = ok(setStatus(h, byNumber(h, 2).policyId, 'published', env())).history;
  h = ok(createVersion(h, undefined, env())).history;
  h = ok(updateDraft(h, byNumber(h, 3).policyId, { description: null, ...C }, env())).history;
  return { h, env };
}

const FILE: Origin = { kind: 'file', path: 'policies/p.yaml', line: 1 };
const K8S: Origin = { kind: 'kubernetes', namespace: 'ns', name: 'p' };
const resource = (
  content: PolicyContent,
  versionStatus: VersionStatus,
  origin: Origin = FILE,
): PolicyResource => ({
  kind: 'Policy',
  namespace: 'ns',
  name: 'p',
  origin,
  spec: { ...content, versionStatus },
});

// ───────────────────────────── API-owned ─────────────────────────────

describe('createPolicy', () => {
  test('writes v1 straight to production, with canonical content and its digest', () => {
    const r = ok(
      createPolicy(
        undefined,
        'ns',
        'p',
        { guardrails: { add: ['b', 'a', 'a'], remove: [] } },
        clock('bob')(),
      ),
    );
    expect(r.history).toStrictEqual({
      namespace: 'ns',
      name: 'p',
      origin: { kind: 'api' },
      active: true,
      versions: [r.version],
    });
    expect(r.version).toStrictEqual({
      policyId: 'id-1',
      policyName: 'p',
      versionNumber: 1,
      status: 'production',
      parentVersionId: null,
      digest: contentDigest({ guardrails: { add: ['a', 'b'], remove: [] } }),
      content: { guardrails: { add: ['a', 'b'], remove: [] } },
      createdAt: 't1',
      updatedAt: 't1',
      publishedAt: null,
      productionAt: 't1',
      createdBy: 'bob',
      updatedBy: 'bob',
    });
  });

  test('starts again at v1 on an API history whose versions were all deleted', () => {
    const r = ok(createPolicy(emptyHistory('ns', 'p', { kind: 'api' }), 'ns', 'p', A, clock()()));
    expect(r.version.versionNumber).toBe(1);
  });

  const errors = [
    {
      note: 'an API policy of that name exists',
      existing: () => apiHistory().h,
      want: { code: 'conflict', message: "Policy with name 'p' already exists" },
    },
    {
      note: 'a declared policy of that name exists (file)',
      existing: () => emptyHistory('ns', 'p', FILE),
      want: {
        code: 'read_only',
        message: "Policy 'p' is defined in policies/p.yaml:1 and can only be changed there",
      },
    },
    {
      note: 'a declared policy of that name exists (Kubernetes)',
      existing: () => emptyHistory('ns', 'p', K8S),
      want: {
        code: 'read_only',
        message: "Policy 'p' is defined in Kubernetes object ns/p and can only be changed there",
      },
    },
  ];
  for (const c of errors) {
    test(`refuses: ${c.note}`, () => {
      expect(createPolicy(c.existing(), 'ns', 'p', A, clock()())).toStrictEqual({ ok: false, error: c.want });
    });
  }
});

describe('createVersion', () => {
  test('copies the production version as a draft numbered max + 1', () => {
    const { h, env } = apiHistory();
    const r = ok(createVersion(h, undefined, env()));
    expect(r.version).toMatchObject({
      versionNumber: 4,
      status: 'draft',
      parentVersionId: byNumber(h, 1).policyId,
      content: byNumber(h, 1).content,
      digest: byNumber(h, 1).digest,
      publishedAt: null,
      productionAt: null,
    });
    expect(r.history.versions.slice(0, 3)).toStrictEqual(h.versions);
  });

  test('copies a named source and numbers after the highest even with gaps', () => {
    const { h, env } = apiHistory();
    const gap = ok(deleteVersion(h, byNumber(h, 2).policyId)).history;
    const r = ok(createVersion(gap, byNumber(h, 3).policyId, env()));
    expect(r.version).toMatchObject({ versionNumber: 4, parentVersionId: byNumber(h, 3).policyId });
    expect(r.version.content).toStrictEqual(byNumber(h, 3).content);
  });

  const other: PolicyVersion = { ...byNumber(apiHistory().h, 1), policyId: 'other-1', policyName: 'q' };
  const errors = [
    {
      note: 'unknown source id',
      history: () => apiHistory().h,
      source: 'nope',
      want: { code: 'not_found', message: 'Source policy nope not found' },
    },
    {
      note: 'source of another policy',
      history: () => apiHistory().h,
      source: 'other-1',
      want: { code: 'bad_request', message: "Source policy name 'q' does not match 'p'" },
    },
    {
      note: 'no production version to copy',
      history: () => emptyHistory('ns', 'p', { kind: 'api' }),
      source: undefined,
      want: { code: 'not_found', message: "No production version found for policy 'p'" },
    },
    {
      note: 'declared history',
      history: () => applyDeclared(undefined, resource(A, 'production'), clock()()).history,
      source: undefined,
      want: {
        code: 'read_only',
        message: "Policy 'p' is defined in policies/p.yaml:1 and can only be changed there",
      },
    },
  ];
  for (const c of errors) {
    test(`refuses: ${c.note}`, () => {
      const find = (id: string) => (id === other.policyId ? other : undefined);
      expect(createVersion(c.history(), c.source, clock()(), find)).toStrictEqual({
        ok: false,
        error: c.want,
      });
    });
  }
});

describe('updateDraft', () => {
  const draftWith = (content: PolicyContent) => {
    const env = clock();
    const h0 = ok(createPolicy(undefined, 'ns', 'p', content, env())).history;
    const r = ok(createVersion(h0, undefined, env()));
    return { h: r.history, id: r.version.policyId, env };
  };
  const full: PolicyContent = {
    description: 'd',
    inherit: 'base',
    guardrails: { add: ['a'], remove: ['r'] },
    condition: { model: 'gpt-4' },
    pipeline: {
      mode: 'pre_call',
      steps: [{ guardrail: 'a', onPass: 'next', onFail: 'block', passData: false }],
    },
  };
  const cases: { note: string; patch: ContentPatch; want: PolicyContent }[] = [
    { note: 'an empty patch changes nothing', patch: {}, want: full },
    { note: 'a value replaces', patch: { description: 'new' }, want: { ...full, description: 'new' } },
    {
      note: 'null clears',
      patch: { inherit: null, pipeline: null },
      want: { ...full, inherit: undefined, pipeline: undefined },
    },
    { note: 'an empty string clears', patch: { description: '' }, want: { ...full, description: undefined } },
    { note: 'an empty condition clears', patch: { condition: {} }, want: { ...full, condition: undefined } },
    {
      note: 'guardrails.add alone keeps remove',
      patch: { guardrails: { add: ['z', 'y'] } },
      want: { ...full, guardrails: { add: ['y', 'z'], remove: ['r'] } },
    },
    {
      note: 'guardrails.remove alone keeps add',
      patch: { guardrails: { remove: [] } },
      want: { ...full, guardrails: { add: ['a'], remove: [] } },
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const { h, id, env } = draftWith(full);
      const r = ok(updateDraft(h, id, c.patch, { ...env(), actor: 'carol' }));
      const before = byNumber(h, 2);
      expect(r.version.content).toStrictEqual(JSON.parse(JSON.stringify(c.want)));
      expect(r.version.digest).toBe(contentDigest(c.want));
      expect(r.version).toMatchObject({
        policyId: id,
        versionNumber: 2,
        status: 'draft',
        createdAt: before.createdAt,
        createdBy: 'alice',
        updatedAt: 't3',
        updatedBy: 'carol',
      });
      expect(r.history.versions[0]).toBe(h.versions[0]);
    });
  }

  const notDraft = {
    code: 'bad_request',
    message:
      'Only draft versions can be updated. Publish or create a new version to change published/production.',
  };
  const errors = [
    {
      note: 'unknown id',
      id: () => 'nope',
      want: { code: 'not_found', message: 'Policy with ID nope not found' },
    },
    { note: 'a published version', id: (h: PolicyHistory) => byNumber(h, 2).policyId, want: notDraft },
    { note: 'the production version', id: (h: PolicyHistory) => byNumber(h, 1).policyId, want: notDraft },
  ];
  for (const c of errors) {
    test(`refuses: ${c.note}`, () => {
      const { h, env } = apiHistory();
      expect(updateDraft(h, c.id(h), { description: 'x' }, env())).toStrictEqual({
        ok: false,
        error: c.want,
      });
    });
  }
  test('refuses: a declared history', () => {
    const h = applyDeclared(undefined, resource(A, 'draft'), clock()()).history;
    const r = updateDraft(h, byNumber(h, 1).policyId, { description: 'x' }, clock()());
    expect(r).toMatchObject({ ok: false, error: { code: 'read_only' } });
  });
});

describe('setStatus', () => {
  // apiHistory(): v1 production (A), v2 published (B), v3 draft (C).
  const transitions: {
    note: string;
    version: number;
    to: string;
    want: string[];
    warning?: string;
  }[] = [
    {
      note: 'draft → published',
      version: 3,
      to: 'published',
      want: ['v1:production', 'v2:published', 'v3:published'],
    },
    {
      note: 'published → production demotes the old production',
      version: 2,
      to: 'production',
      want: ['v1:published', 'v2:production', 'v3:draft'],
    },
    {
      note: 'production → published demotes: no production',
      version: 1,
      to: 'published',
      want: ['v1:published', 'v2:published', 'v3:draft'],
      warning: DEMOTE_PRODUCTION_WARNING,
    },
  ];
  for (const c of transitions) {
    test(c.note, () => {
      const { h, env } = apiHistory();
      const r = ok(setStatus(h, byNumber(h, c.version).policyId, c.to, env()));
      expect(statuses(r.history)).toEqual(c.want);
      expect(r.version).toBe(byNumber(r.history, c.version));
      expect(r.warning).toBe(c.warning);
    });
  }

  test('publishing sets publishedAt; promotion sets productionAt and keeps the demoted publishedAt', () => {
    const { h, env } = apiHistory();
    const published = ok(setStatus(h, byNumber(h, 3).policyId, 'published', { ...env(), actor: 'dan' }));
    expect(published.version).toMatchObject({
      publishedAt: 't7',
      updatedAt: 't7',
      updatedBy: 'dan',
      productionAt: null,
    });
    const promoted = ok(setStatus(published.history, byNumber(h, 3).policyId, 'production', env()));
    expect(byNumber(promoted.history, 3)).toMatchObject({
      publishedAt: 't7',
      productionAt: 't8',
      updatedAt: 't8',
    });
    expect(byNumber(promoted.history, 1)).toMatchObject({
      status: 'published',
      publishedAt: null,
      productionAt: 't1',
    });
    const again = ok(setStatus(promoted.history, byNumber(h, 2).policyId, 'production', env()));
    expect(byNumber(again.history, 3)).toMatchObject({
      status: 'published',
      publishedAt: 't7',
      updatedAt: 't9',
    });
    expect(productionVersion(again.history)?.versionNumber).toBe(2);
  });

  const errors = [
    {
      note: 'draft → production',
      version: 3,
      to: 'production',
      want: {
        code: 'bad_request',
        message: 'Cannot promote draft directly to production. Publish the version first.',
      },
    },
    {
      note: 'published → published',
      version: 2,
      to: 'published',
      want: {
        code: 'bad_request',
        message: "Only draft versions can be published. Current status: 'published'.",
      },
    },
    {
      note: 'production → production',
      version: 1,
      to: 'production',
      want: {
        code: 'bad_request',
        message: "Only draft or published versions can be promoted to production. Current: 'production'.",
      },
    },
    {
      note: 'anything → draft',
      version: 2,
      to: 'draft',
      want: { code: 'bad_request', message: "Invalid status 'draft'. Use 'published' or 'production'." },
    },
    {
      note: 'an unknown status',
      version: 3,
      to: 'x',
      want: { code: 'bad_request', message: "Invalid status 'x'. Use 'published' or 'production'." },
    },
    {
      note: 'an unknown id',
      version: 0,
      to: 'production',
      want: { code: 'not_found', message: 'Policy with ID id-0 not found' },
    },
  ];
  for (const c of errors) {
    test(`refuses: ${c.note}`, () => {
      const { h, env } = apiHistory();
      const id = c.version === 0 ? 'id-0' : byNumber(h, c.version).policyId;
      expect(setStatus(h, id, c.to, env())).toStrictEqual({ ok: false, error: c.want });
    });
  }
  test('refuses: a declared history', () => {
    const h = applyDeclared(undefined, resource(A, 'published'), clock()()).history;
    expect(setStatus(h, byNumber(h, 1).policyId, 'production', clock()())).toMatchObject({
      ok: false,
      error: { code: 'read_only' },
    });
  });
});

describe('deleteVersion', () => {
  const cases = [
    {
      note: 'the production version, with the warning',
      version: 1,
      warning: DELETE_PRODUCTION_WARNING,
      left: ['v2:published', 'v3:draft'],
    },
    { note: 'a published version', version: 2, warning: undefined, left: ['v1:production', 'v3:draft'] },
    { note: 'a draft', version: 3, warning: undefined, left: ['v1:production', 'v2:published'] },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const { h } = apiHistory();
      const r = ok(deleteVersion(h, byNumber(h, c.version).policyId));
      expect(statuses(r.history)).toEqual(c.left);
      expect(r.version).toBe(byNumber(h, c.version));
      expect(r.warning).toBe(c.warning);
    });
  }
  test('refuses: an unknown id', () => {
    expect(deleteVersion(apiHistory().h, 'nope')).toStrictEqual({
      ok: false,
      error: { code: 'not_found', message: 'Policy with ID nope not found' },
    });
  });
  test('refuses: a declared history', () => {
    const h = applyDeclared(undefined, resource(A, 'production', K8S), clock()()).history;
    expect(deleteVersion(h, byNumber(h, 1).policyId)).toStrictEqual({
      ok: false,
      error: {
        code: 'read_only',
        message: "Policy 'p' is defined in Kubernetes object ns/p and can only be changed there",
      },
    });
  });
});

describe('compareVersions', () => {
  const v = (content: PolicyContent): PolicyVersion => ({ ...byNumber(apiHistory().h, 1), content });
  const cases = [
    { note: 'equal contents have no diff', a: A, b: A, want: {} },
    {
      note: 'only differing fields appear, absent as null',
      a: A,
      b: C,
      want: {
        description: { versionA: 'first', versionB: null },
        guardrailsAdd: { versionA: ['pii'], versionB: ['secrets'] },
        guardrailsRemove: { versionA: [], versionB: ['pii'] },
        condition: { versionA: null, versionB: { model: 'gpt-4.*' } },
      },
    },
    {
      note: 'plain equality: list order matters',
      a: { guardrails: { add: ['a', 'b'], remove: [] } },
      b: { guardrails: { add: ['b', 'a'], remove: [] } },
      want: { guardrailsAdd: { versionA: ['a', 'b'], versionB: ['b', 'a'] } },
    },
    {
      note: 'inherit and pipeline',
      a: { inherit: 'x', guardrails: { add: ['g'], remove: [] } },
      b: {
        guardrails: { add: ['g'], remove: [] },
        pipeline: {
          mode: 'pre_call' as const,
          steps: [{ guardrail: 'g', onPass: 'allow' as const, onFail: 'block' as const, passData: false }],
        },
      },
      want: {
        inherit: { versionA: 'x', versionB: null },
        pipeline: {
          versionA: null,
          versionB: {
            mode: 'pre_call',
            steps: [{ guardrail: 'g', onPass: 'allow', onFail: 'block', passData: false }],
          },
        },
      },
    },
  ];
  for (const c of cases) test(c.note, () => expect(compareVersions(v(c.a), v(c.b))).toStrictEqual(c.want));
});

// ───────────────────────────── declared ─────────────────────────────

describe('applyDeclared', () => {
  test('a new resource becomes v1, published and promoted, with the resource origin', () => {
    const r = applyDeclared(undefined, resource(A, 'production'), clock()());
    expect(r.history).toMatchObject({ namespace: 'ns', name: 'p', origin: FILE, active: true });
    expect(r.changes).toEqual([
      { kind: 'created', versionNumber: 1, policyId: 'id-1' },
      { kind: 'promoted', versionNumber: 1, policyId: 'id-1' },
    ]);
    expect(byNumber(r.history, 1)).toMatchObject({
      status: 'production',
      parentVersionId: null,
      digest: contentDigest(A),
      publishedAt: 't1',
      productionAt: 't1',
    });
    expect(isDeclared(r.history)).toBe(true);
  });

  test('new content is v2 (parent v1) and demotes v1; a revert re-uses v1 with its id', () => {
    const env = clock();
    const h1 = applyDeclared(undefined, resource(A, 'production'), env()).history;
    const r2 = applyDeclared(h1, resource(B, 'production'), env());
    expect(statuses(r2.history)).toEqual(['v1:published', 'v2:production']);
    expect(byNumber(r2.history, 2).parentVersionId).toBe('id-1');
    expect(r2.changes).toEqual([
      { kind: 'created', versionNumber: 2, policyId: 'id-2' },
      { kind: 'promoted', versionNumber: 2, policyId: 'id-2' },
      { kind: 'demoted', versionNumber: 1, policyId: 'id-1' },
    ]);
    const r3 = applyDeclared(r2.history, resource(A, 'production'), env());
    expect(statuses(r3.history)).toEqual(['v1:production', 'v2:published']);
    expect(productionVersion(r3.history)?.policyId).toBe('id-1');
    expect(r3.changes).toEqual([
      { kind: 'reused', versionNumber: 1, policyId: 'id-1' },
      { kind: 'promoted', versionNumber: 1, policyId: 'id-1' },
      { kind: 'demoted', versionNumber: 2, policyId: 'id-2' },
    ]);
    expect(byNumber(r3.history, 1).publishedAt).toBe('t1');
  });

  test('a revert matches by meaning, not by spelling', () => {
    const env = clock();
    const h1 = applyDeclared(undefined, resource(A, 'production'), env()).history;
    const h2 = applyDeclared(h1, resource(B, 'production'), env()).history;
    const respelled = { guardrails: { remove: [], add: ['pii', 'pii'] }, description: 'first', inherit: '' };
    const r = applyDeclared(h2, resource(respelled, 'production'), env());
    expect(r.history.versions).toHaveLength(2);
    expect(productionVersion(r.history)?.versionNumber).toBe(1);
  });

  test('a draft records the version and leaves production; flipping it to production promotes it', () => {
    const env = clock();
    const h1 = applyDeclared(undefined, resource(A, 'production'), env()).history;
    const r2 = applyDeclared(h1, resource(B, 'draft'), env());
    expect(statuses(r2.history)).toEqual(['v1:production', 'v2:draft']);
    expect(r2.changes).toEqual([{ kind: 'created', versionNumber: 2, policyId: 'id-2' }]);
    const r3 = applyDeclared(r2.history, resource(B, 'production'), env());
    expect(statuses(r3.history)).toEqual(['v1:published', 'v2:production']);
    expect(r3.changes).toEqual([
      { kind: 'reused', versionNumber: 2, policyId: 'id-2' },
      { kind: 'promoted', versionNumber: 2, policyId: 'id-2' },
      { kind: 'demoted', versionNumber: 1, policyId: 'id-1' },
    ]);
    expect(byNumber(r3.history, 2)).toMatchObject({ publishedAt: 't3', productionAt: 't3' });
  });

  test('published publishes a draft and leaves production; on the production content it demotes', () => {
    const env = clock();
    const h1 = applyDeclared(undefined, resource(A, 'production'), env()).history;
    const h2 = applyDeclared(h1, resource(B, 'draft'), env()).history;
    const r3 = applyDeclared(h2, resource(B, 'published'), env());
    expect(statuses(r3.history)).toEqual(['v1:production', 'v2:published']);
    expect(r3.changes).toEqual([
      { kind: 'reused', versionNumber: 2, policyId: 'id-2' },
      { kind: 'published', versionNumber: 2, policyId: 'id-2' },
    ]);
    const r4 = applyDeclared(r3.history, resource(A, 'published'), env());
    expect(statuses(r4.history)).toEqual(['v1:published', 'v2:published']);
    expect(productionVersion(r4.history)).toBeUndefined();
    expect(r4.changes).toEqual([
      { kind: 'reused', versionNumber: 1, policyId: 'id-1' },
      { kind: 'demoted', versionNumber: 1, policyId: 'id-1' },
    ]);
  });

  test('draft on content already at a higher stage leaves it there, with a note', () => {
    const env = clock();
    const h1 = applyDeclared(undefined, resource(A, 'production'), env()).history;
    const r = applyDeclared(h1, resource(A, 'draft'), env());
    expect(r.history).toBe(h1);
    expect(r.changes).toEqual([]);
    expect(r.notes).toEqual([
      'versionStatus is draft but this content is version 1, already production; it stays production',
    ]);
  });

  for (const status of ['draft', 'published', 'production'] as const) {
    test(`re-applying the same resource (${status}) is a no-op`, () => {
      const env = clock();
      const h1 = applyDeclared(undefined, resource(A, 'production'), env()).history;
      const h2 = applyDeclared(h1, resource(B, status), env()).history;
      const again = applyDeclared(h2, resource(B, status), env());
      expect(again.history).toBe(h2);
      expect(again.changes).toEqual([]);
      expect(again.notes).toEqual([]);
    });
  }

  test('a moved declaration (new file line) updates the origin without a change', () => {
    const h1 = applyDeclared(undefined, resource(A, 'production'), clock()()).history;
    const moved: Origin = { kind: 'file', path: 'policies/p.yaml', line: 9 };
    const r = applyDeclared(h1, resource(A, 'production', moved), clock()());
    expect(r.history.origin).toEqual(moved);
    expect(r.history.versions).toBe(h1.versions);
    expect(r.changes).toEqual([]);
  });

  test('deactivation keeps the history; the object coming back re-activates it', () => {
    const env = clock();
    const h1 = applyDeclared(undefined, resource(A, 'production'), env()).history;
    const off = deactivateDeclared(h1);
    expect(off).toStrictEqual({ ...h1, active: false });
    expect(deactivateDeclared(off)).toBe(off);
    const back = applyDeclared(off, resource(A, 'production'), env());
    expect(back.history).toStrictEqual(h1);
    expect(back.changes).toEqual([{ kind: 'reactivated' }]);
  });

  test('adopts an API history of the same name, keeping its versions and numbering', () => {
    const { h, env } = apiHistory();
    const r = applyDeclared(h, resource(B, 'production', K8S), env());
    expect(r.history.origin).toEqual(K8S);
    expect(statuses(r.history)).toEqual(['v1:published', 'v2:production', 'v3:draft']);
    expect(r.changes).toEqual([
      { kind: 'adopted', from: { kind: 'api' } },
      { kind: 'reused', versionNumber: 2, policyId: byNumber(h, 2).policyId },
      { kind: 'promoted', versionNumber: 2, policyId: byNumber(h, 2).policyId },
      { kind: 'demoted', versionNumber: 1, policyId: byNumber(h, 1).policyId },
    ]);
    const next = applyDeclared(
      r.history,
      resource({ guardrails: { add: ['new'], remove: [] } }, 'draft', K8S),
      env(),
    );
    expect(latestVersion(next.history)).toMatchObject({
      versionNumber: 4,
      parentVersionId: byNumber(h, 3).policyId,
    });
  });

  test('prefers the copy at the highest stage when several versions share the content', () => {
    const env = clock();
    let h = ok(createPolicy(undefined, 'ns', 'p', A, env())).history;
    h = ok(createVersion(h, undefined, env())).history; // v2: a draft copy of v1, same digest
    const r = applyDeclared(h, resource(A, 'production'), env());
    expect(r.history.versions).toHaveLength(2);
    expect(r.changes).toEqual([{ kind: 'adopted', from: { kind: 'api' } }]);
    expect(statuses(r.history)).toEqual(['v1:production', 'v2:draft']);
  });
});

describe('queries', () => {
  test('latestVersion and productionVersion', () => {
    const { h } = apiHistory();
    expect(latestVersion(h)?.versionNumber).toBe(3);
    expect(productionVersion(h)?.versionNumber).toBe(1);
    const empty = emptyHistory('ns', 'p', { kind: 'api' });
    expect(latestVersion(empty)).toBeUndefined();
    expect(productionVersion(empty)).toBeUndefined();
  });
});

// ───────────────────────────── laws (property tests) ─────────────────────────────

/** Shape invariants that hold after every operation. */
function checkInvariants(h: PolicyHistory): void {
  expect(productions(h)).toBeLessThanOrEqual(1);
  const numbers = h.versions.map((v) => v.versionNumber);
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  expect(new Set(numbers).size).toBe(numbers.length);
  expect(new Set(h.versions.map((v) => v.policyId)).size).toBe(h.versions.length);
  for (const v of h.versions) expect(v.digest).toBe(contentDigest(v.content));
}

const contents = fc.constantFrom<PolicyContent>(A, B, C, { guardrails: { add: [], remove: [] } });
/** Counts back from the latest version, so recent versions (where transitions happen) come up often. */
const pick = fc.nat({ max: 3 });
const apiOp = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('createVersion' as const), pick, named: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('updateDraft' as const), pick, content: contents }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('setStatus' as const),
      pick,
      status: fc.constantFrom('published', 'production', 'published', 'production', 'draft', 'bogus'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteVersion' as const), pick }) },
);

describe('laws', () => {
  test('API operations: never two production versions; a promotion leaves exactly one, the target', () => {
    fc.assert(
      fc.property(fc.array(apiOp, { minLength: 10, maxLength: 40 }), (ops) => {
        const env = clock();
        let h = ok(createPolicy(undefined, 'ns', 'p', A, env())).history;
        for (const o of ops) {
          const id = h.versions[h.versions.length - 1 - o.pick]?.policyId ?? 'missing';
          const r =
            o.op === 'createVersion'
              ? createVersion(h, o.named ? id : undefined, env())
              : o.op === 'updateDraft'
                ? updateDraft(h, id, o.content, env())
                : o.op === 'setStatus'
                  ? setStatus(h, id, o.status, env())
                  : deleteVersion(h, id);
          if (!r.ok) continue;
          h = r.history;
          checkInvariants(h);
          if (o.op === 'setStatus' && o.status === 'production') {
            expect(productions(h)).toBe(1);
            expect(productionVersion(h)?.policyId).toBe(id);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('declared applies: the applied content is at its stage, production is unique, re-apply is a no-op', () => {
    const apply = fc.record({
      content: contents,
      status: fc.constantFrom<VersionStatus>('draft', 'published', 'production'),
    });
    fc.assert(
      fc.property(fc.array(apply, { minLength: 1, maxLength: 25 }), (applies) => {
        const env = clock();
        let h: PolicyHistory | undefined;
        const seen = new Map<string, string>();
        for (const a of applies) {
          const r = applyDeclared(h, resource(a.content, a.status), env());
          h = r.history;
          checkInvariants(h);
          const digest = contentDigest(a.content);
          const mine = h.versions.filter((v) => v.digest === digest);
          expect(mine).toHaveLength(1); // one version per content: a revert never duplicates
          const v = mine[0] as PolicyVersion;
          // the same content keeps its id forever
          expect(seen.get(digest) ?? v.policyId).toBe(v.policyId);
          seen.set(digest, v.policyId);
          if (a.status === 'production') expect(productionVersion(h)).toBe(v);
          if (a.status === 'published') expect(v.status).toBe('published');
          const again = applyDeclared(h, resource(a.content, a.status), env());
          expect(again.history).toBe(h);
          expect(again.changes).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
