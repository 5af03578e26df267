import { describe, expect, test } from 'vitest';
import type { RequestContext } from '../../../src/engine/index.ts';
import {
  AnswerCache,
  type AnswerOptions,
  answer,
  answerKey,
  type ResolveAnswer,
  type Snapshot,
} from '../../../src/registry/index.ts';
import { indexOf, snapshotOf } from '../engine/resolve-fixtures.ts';

const index = () =>
  indexOf({ ab: { add: ['g-ab'] }, a: { add: ['g-a'] }, tagged: { add: ['g-tags'] } }, [
    { id: 'x1', policy: 'ab', teams: ['ab'] },
    { id: 'x2', policy: 'a', teams: ['a'], keys: ['bc'] },
    { id: 'x3', policy: 'tagged', tags: ['p,q'] },
  ]);

const cached = (cache = new AnswerCache<ResolveAnswer>()): AnswerOptions => ({
  defaultNamespace: 'default',
  cache,
});

function resolved(snapshot: Snapshot, context: RequestContext, options: AnswerOptions) {
  const a = answer('resolve', snapshot, { context }, options);
  if (!a.ok) throw new Error(a.error.message);
  return a;
}

describe('answer', () => {
  test('a namespace that is not served is an error value naming the served ones', () => {
    const a = answer('resolve', snapshotOf(index()), { namespace: 'nope', context: {} }, cached());
    expect(a).toEqual({
      ok: false,
      requested: 'nope',
      error: { code: 'not_found', message: 'namespace "nope" is not served here (served: default)' },
    });
  });

  test('explain answers the same resolution as resolve', () => {
    const snapshot = snapshotOf(index());
    const ctx = { teamAlias: 'a', keyAlias: 'bc' };
    const explained = answer('explain', snapshot, { context: ctx }, cached());
    if (!explained.ok) throw new Error('unexpected');
    expect(explained.value.resolution).toEqual(resolved(snapshot, ctx, cached()).value);
  });
});

describe('the answer cache', () => {
  test('a repeated context gets the same answer object, even from an equal copy', () => {
    const snapshot = snapshotOf(index());
    const options = cached();
    const first = resolved(snapshot, { teamAlias: 'ab', keyAlias: 'c' }, options);
    expect(resolved(snapshot, { teamAlias: 'ab', keyAlias: 'c' }, options)).toBe(first);
    expect(first.value.effectiveGuardrails).toEqual(['g-ab']);
  });

  test('contexts whose values would run together never share an answer', () => {
    const snapshot = snapshotOf(index());
    const options = cached();
    const pairs: [RequestContext, RequestContext, string[], string[]][] = [
      [{ teamAlias: 'ab', keyAlias: 'c' }, { teamAlias: 'a', keyAlias: 'bc' }, ['g-ab'], ['g-a']],
      [{ tags: ['p,q'] }, { tags: ['p', 'q'] }, ['g-tags'], []],
      [{ teamAlias: 'ab' }, { keyAlias: 'ab' }, ['g-ab'], []],
    ];
    for (const [x, y, wantX, wantY] of pairs) {
      expect(answerKey('default', x)).not.toBe(answerKey('default', y));
      expect(resolved(snapshot, x, options).value.effectiveGuardrails).toEqual(wantX);
      expect(resolved(snapshot, y, options).value.effectiveGuardrails).toEqual(wantY);
    }
  });

  test('keys tell apart absent and empty values, and namespaces', () => {
    const keys = [
      answerKey('default', {}),
      answerKey('default', { teamAlias: '' }),
      answerKey('default', { tags: [] }),
      answerKey('defaul', { teamAlias: 't' }),
      answerKey('default', { teamAlias: 't' }),
      answerKey(undefined, {}),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('a new snapshot does not serve the answers of the one before', () => {
    const cache = new AnswerCache<ResolveAnswer>();
    const before = snapshotOf(indexOf({ p: { add: ['old'] } }, [{ id: 'a', policy: 'p', scope: '*' }]), 1);
    const after = snapshotOf(indexOf({ p: { add: ['new'] } }, [{ id: 'a', policy: 'p', scope: '*' }]), 2);
    expect(resolved(before, {}, cached(cache)).value.effectiveGuardrails).toEqual(['old']);
    expect(resolved(after, {}, cached(cache)).value.effectiveGuardrails).toEqual(['new']);
    expect(resolved(after, {}, cached(cache)).revision).toBe(2);
    // A late request on the older snapshot still gets that snapshot's answer, and leaves the new ones.
    expect(resolved(before, {}, cached(cache)).value.effectiveGuardrails).toEqual(['old']);
    expect(resolved(after, {}, cached(cache))).toBe(resolved(after, {}, cached(cache)));
  });

  test('past its bytes the oldest entries go, and the total stays under the cap', () => {
    const snapshot = snapshotOf(index());
    const cache = new AnswerCache<{ n: number }>({ maxBytes: 10_000 });
    const keys = Array.from({ length: 100 }, (_, n) => `key-${String(n).padStart(3, '0')}`);
    for (const [n, key] of keys.entries()) {
      cache.set(snapshot, key, { n }, 500);
      expect(cache.bytes).toBeLessThanOrEqual(10_000);
    }
    expect(cache.size).toBeGreaterThan(5);
    expect(cache.size).toBeLessThan(20);
    // The newest entries are kept, the oldest are gone.
    expect(cache.get(snapshot, 'key-099')).toEqual({ n: 99 });
    expect(cache.get(snapshot, 'key-000')).toBeUndefined();
    expect(cache.get(snapshot, `key-${String(100 - cache.size).padStart(3, '0')}`)).toBeDefined();
    expect(cache.get(snapshot, `key-${String(99 - cache.size).padStart(3, '0')}`)).toBeUndefined();
  });

  test('an entry read lately outlives older ones; one larger than the cap is never stored', () => {
    const snapshot = snapshotOf(index());
    const cache = new AnswerCache<{ n: number }>({ maxBytes: 2_000 });
    cache.set(snapshot, 'a', { n: 1 }, 500);
    cache.set(snapshot, 'b', { n: 2 }, 500);
    cache.set(snapshot, 'c', { n: 3 }, 500);
    expect(cache.get(snapshot, 'a')).toEqual({ n: 1 });
    cache.set(snapshot, 'd', { n: 4 }, 500);
    expect(cache.get(snapshot, 'a')).toEqual({ n: 1 });
    expect(cache.get(snapshot, 'b')).toBeUndefined();
    cache.set(snapshot, 'huge', { n: 5 }, 5_000);
    expect(cache.get(snapshot, 'huge')).toBeUndefined();
    expect(cache.get(snapshot, 'd')).toEqual({ n: 4 });
  });

  test('resolve answers are estimated by their size, so a cap in bytes holds fewer large ones', () => {
    const snapshot = snapshotOf(index());
    const cache = new AnswerCache<ResolveAnswer>({ maxBytes: 16_384 });
    for (let n = 0; n < 1_000; n++)
      resolved(snapshot, { teamAlias: 'ab', keyAlias: `k-${n}` }, cached(cache));
    expect(cache.bytes).toBeLessThanOrEqual(16_384);
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThan(1_000);
  });
});
