/**
 * Laws of resolution: the order of declaration never changes the answer, and the indexed
 * resolution equals a naive linear scan written here from the reference's rules (2.1–2.6).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { buildPolicyIndex } from '../../../src/engine/index.ts';
import { resolve } from '../../../src/engine/resolve.ts';
import type {
  AttachmentRecord,
  AttachmentSpec,
  FloorGuardrail,
  PolicyVersion,
  RequestContext,
  Resolution,
} from '../../../src/engine/types.ts';
import { AnswerCache, answer, type ResolveAnswer } from '../../../src/registry/index.ts';
import { attachmentRecord, policyVersion, snapshotOf } from './resolve-fixtures.ts';

const NAMES = ['p0', 'p1', 'p2', 'p3', 'p4'];
const GUARDRAILS = ['g0', 'g1', 'g2', 'g3'];
const TEAMS = ['eng', 'eng-a', 'med', 'med-x', ''];
const KEYS = ['k1', 'k2', 'key-9'];
const MODELS = ['gpt-4', 'gpt-4o', 'gpt-3.5', 'claude-3'];
const TAGS = ['hipaa', 'health-1', 'pci', 'x'];
const CONDITIONS = ['gpt-4.*', 'gpt-4', 'claude-.*', 'gpt-3\\.5', '(', 'gpt-4o'];

/** Exact values, prefixes of them, and `*`. */
const patterns = (values: string[]) =>
  fc.array(
    fc.oneof(fc.constantFrom(...values), fc.constantFrom('*', ...values.map((v) => `${v.slice(0, 2)}*`))),
    {
      maxLength: 2,
    },
  );
const absent = fc.constantFrom(null, undefined);

const policyArb = fc.record({
  inherit: fc.option(fc.constantFrom(...NAMES, 'missing'), { nil: undefined }),
  add: fc.subarray(GUARDRAILS),
  remove: fc.subarray(GUARDRAILS),
  model: fc.option(fc.oneof(fc.constantFrom(...CONDITIONS), fc.subarray(CONDITIONS, { maxLength: 2 })), {
    nil: undefined,
  }),
});

const attachmentArb = fc.record({
  policy: fc.constantFrom(...NAMES, 'missing'),
  scope: fc.constantFrom(undefined, undefined, undefined, '*', 'team'),
  teams: patterns(TEAMS),
  keys: patterns(KEYS),
  models: patterns(MODELS),
  tags: patterns(TAGS),
  priority: fc.constantFrom(0, 0, 1, 5),
});

const contextArb: fc.Arbitrary<RequestContext> = fc.record({
  teamAlias: fc.oneof(absent, fc.constantFrom(...TEAMS, 'ops')),
  keyAlias: fc.oneof(absent, fc.constantFrom(...KEYS)),
  model: fc.oneof(absent, fc.constantFrom(...MODELS, 'llama')),
  tags: fc.oneof(absent, fc.subarray(TAGS)),
});

const scenarioArb = fc
  .record({
    policies: fc.uniqueArray(fc.tuple(fc.constantFrom(...NAMES), policyArb), { selector: ([n]) => n }),
    attachments: fc.array(attachmentArb, { maxLength: 12 }),
    contexts: fc.array(contextArb, { minLength: 1, maxLength: 5 }),
    // A namespace's floor: mandatory guardrails (sometimes none), from one or two floors.
    floor: fc.subarray(GUARDRAILS, { maxLength: 2 }),
    floorNames: fc.constantFrom(['f1'], ['f1', 'f2']),
  })
  .map((s) => ({
    floor: s.floor
      .flatMap((guardrail) => s.floorNames.map((floor) => ({ guardrail, floor })))
      .sort((a, b) => (a.guardrail < b.guardrail ? -1 : a.guardrail > b.guardrail ? 1 : 0)),
    versions: s.policies.map(([name, p]) => policyVersion(name, p)),
    attachments: s.attachments.map((a, i) =>
      attachmentRecord({ ...a, id: `a${String(i).padStart(2, '0')}` }),
    ),
    contexts: s.contexts,
  }));

// ───────────── the naive reference, straight from the rules ─────────────

function naiveMatches(value: string | null | undefined, ps: readonly string[]): boolean {
  if (value == null) return ps.includes('*');
  return ps.some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : value === p));
}

function naiveScope(s: AttachmentSpec, ctx: RequestContext): boolean {
  if (s.scope === '*') return true;
  const dim = (ps: readonly string[]) => (ps.length === 0 ? ['*'] : ps);
  if (!naiveMatches(ctx.teamAlias, dim(s.teams))) return false;
  if (!naiveMatches(ctx.keyAlias, dim(s.keys))) return false;
  if (!naiveMatches(ctx.model, dim(s.models))) return false;
  if (s.tags.length === 0) return true;
  return (ctx.tags ?? []).some((t) => naiveMatches(t, s.tags));
}

function naiveVia(s: AttachmentSpec, ctx: RequestContext): string {
  if (s.scope === '*') return 'scope:*';
  const parts: string[] = [];
  const tag = s.tags.length > 0 ? (ctx.tags ?? []).find((t) => naiveMatches(t, s.tags)) : undefined;
  if (tag !== undefined) parts.push(`tag:${tag}`);
  if (s.teams.length > 0 && ctx.teamAlias) parts.push(`team:${ctx.teamAlias}`);
  if (s.keys.length > 0 && ctx.keyAlias) parts.push(`key:${ctx.keyAlias}`);
  if (s.models.length > 0 && ctx.model) parts.push(`model:${ctx.model}`);
  return parts.length > 0 ? parts.join('+') : 'scope:default';
}

function naiveCondition(v: PolicyVersion, model: string | null | undefined): boolean {
  const m = v.content.condition?.model;
  if (m === undefined) return true;
  if (model == null) return false;
  return (typeof m === 'string' ? [m] : m).some((p) => {
    if (p === model) return true;
    try {
      return new RegExp(`^(?:${p})$`).test(model);
    } catch {
      return false;
    }
  });
}

function naiveChain(
  name: string,
  byName: Map<string, PolicyVersion>,
  visited = new Set<string>(),
): PolicyVersion[] {
  if (visited.has(name)) return [];
  visited.add(name);
  const v = byName.get(name);
  if (v === undefined) return [];
  const parents = v.content.inherit === undefined ? [] : naiveChain(v.content.inherit, byName, visited);
  return [...parents, v];
}

function naiveResolve(
  versions: PolicyVersion[],
  attachments: AttachmentRecord[],
  ctx: RequestContext,
  floor: readonly FloorGuardrail[] = [],
): Resolution {
  const mandatory = new Set(floor.map((e) => e.guardrail));
  const byName = new Map(versions.map((v) => [v.policyName, v]));
  const ordered = [...attachments].sort(
    (a, b) =>
      b.spec.priority - a.spec.priority ||
      (a.spec.policy < b.spec.policy ? -1 : a.spec.policy > b.spec.policy ? 1 : 0) ||
      (a.attachmentId < b.attachmentId ? -1 : 1),
  );
  const seen = new Set<string>();
  const matchedPolicies = [];
  for (const a of ordered) {
    if (!naiveScope(a.spec, ctx) || seen.has(a.spec.policy)) continue;
    seen.add(a.spec.policy);
    const v = byName.get(a.spec.policy);
    if (v === undefined || !naiveCondition(v, ctx.model)) continue;
    const chain = naiveChain(v.policyName, byName);
    const set = new Set<string>();
    for (const level of chain) {
      if (!naiveCondition(level, ctx.model)) continue;
      for (const g of level.content.guardrails.add) set.add(g);
      for (const g of level.content.guardrails.remove) if (!mandatory.has(g)) set.delete(g);
    }
    matchedPolicies.push({
      policyName: v.policyName,
      matchedVia: naiveVia(a.spec, ctx),
      attachment: a.attachmentId,
      guardrailsAdded: [...set].sort(),
      versions: chain.map((l) => ({
        policyName: l.policyName,
        policyId: l.policyId,
        versionNumber: l.versionNumber,
        digest: l.digest,
      })),
    });
  }
  const effectiveGuardrails = [
    ...new Set([...matchedPolicies.flatMap((m) => m.guardrailsAdded), ...mandatory]),
  ].sort();
  return { effectiveGuardrails, matchedPolicies, floor };
}

const RUNS = { numRuns: 300 };

describe('resolve (properties)', () => {
  test('the indexed resolution equals a naive linear scan, first time and remembered', () => {
    fc.assert(
      fc.property(scenarioArb, ({ versions, attachments, contexts, floor }) => {
        const index = buildPolicyIndex({
          policies: versions.map((version) => ({ version })),
          attachments,
          floor,
        });
        const want = contexts.map((ctx) => naiveResolve(versions, attachments, ctx, floor));
        expect(contexts.map((ctx) => resolve(index, ctx))).toEqual(want);
        // Through the answer cache: the second pass answers from it, asked with equal copies of the contexts.
        const snapshot = snapshotOf(index);
        const options = { defaultNamespace: 'default', cache: new AnswerCache<ResolveAnswer>() };
        const answered = (context: RequestContext) => {
          const a = answer('resolve', snapshot, { context }, options);
          return a.ok ? a.value : undefined;
        };
        for (const pass of [contexts, contexts.map((ctx) => ({ ...ctx }))])
          expect(pass.map(answered)).toEqual(want);
      }),
      RUNS,
    );
  });

  test('shuffling policies and attachments never changes the output', () => {
    const shuffledArb = scenarioArb.chain((s) =>
      fc.record({
        s: fc.constant(s),
        versions: fc.shuffledSubarray(s.versions, { minLength: s.versions.length }),
        attachments: fc.shuffledSubarray(s.attachments, { minLength: s.attachments.length }),
      }),
    );
    fc.assert(
      fc.property(shuffledArb, ({ s, versions, attachments }) => {
        const build = (vs: PolicyVersion[], as: AttachmentRecord[]) =>
          buildPolicyIndex({ policies: vs.map((version) => ({ version })), attachments: as });
        const original = build(s.versions, s.attachments);
        const shuffled = build(versions, attachments);
        for (const ctx of s.contexts) {
          expect(JSON.stringify(resolve(shuffled, ctx))).toBe(JSON.stringify(resolve(original, ctx)));
        }
      }),
      RUNS,
    );
  });

  test('an index rebuilt from the previous one with another floor answers as one built afresh', () => {
    const twoFloors = fc.record({ a: scenarioArb, b: scenarioArb });
    fc.assert(
      fc.property(twoFloors, ({ a, b }) => {
        const input = { policies: a.versions.map((version) => ({ version })), attachments: a.attachments };
        const before = buildPolicyIndex({ ...input, floor: a.floor });
        const rebuilt = buildPolicyIndex({ ...input, floor: b.floor }, before);
        const fresh = buildPolicyIndex({ ...input, floor: b.floor });
        for (const ctx of a.contexts) expect(resolve(rebuilt, ctx)).toEqual(resolve(fresh, ctx));
        // And back: the floor of the first build is not left behind in the rebuilt one.
        const back = buildPolicyIndex({ ...input, floor: a.floor }, rebuilt);
        for (const ctx of a.contexts) expect(resolve(back, ctx)).toEqual(resolve(before, ctx));
      }),
      RUNS,
    );
  });
});
