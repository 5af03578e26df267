import { describe, expect, test } from 'vitest';
import { boundEnforcedContext, CONTEXT_LIMITS, resolve } from '../../../src/engine/index.ts';
import { indexOf } from './resolve-fixtures.ts';

const long = (prefix: string) => `${prefix}${'x'.repeat(1_000_000)}`;

describe('boundEnforcedContext', () => {
  test('a context within the limits is returned as is', () => {
    const ctx = { teamAlias: 'team', keyAlias: null, model: 'gpt-4o', tags: ['a', 'b'] };
    expect(boundEnforcedContext(ctx)).toEqual({ context: ctx });
    expect(boundEnforcedContext(ctx).context).toBe(ctx);
  });

  test('every value is cut to the limit; tags are de-duplicated, none dropped', () => {
    const { context, overflow } = boundEnforcedContext({
      teamAlias: long('medical-'),
      keyAlias: long('k'),
      model: long('gpt-4'),
      tags: [long('t'), long('t'), 'prod'],
    });
    expect(overflow).toBeUndefined();
    for (const v of [context.teamAlias, context.keyAlias, context.model])
      expect(v?.length).toBe(CONTEXT_LIMITS.valueChars);
    expect(context.tags).toHaveLength(2);
    expect(context.tags).toContain('prod');
  });

  test('a cut value still matches the prefix selectors and model patterns it matched', () => {
    const index = indexOf({ med: { add: ['phi'] }, gpt4: { add: ['strict'], model: 'gpt-4.*' } }, [
      { id: 'a', policy: 'med', teams: ['medical-*'] },
      { id: 'b', policy: 'gpt4', scope: '*' },
    ]);
    const { context } = boundEnforcedContext({ teamAlias: long('medical-'), model: long('gpt-4') });
    expect(resolve(index, context).effectiveGuardrails).toEqual(['phi', 'strict']);
  });

  test('more distinct tags than Railyard decides on: an overflow, and a bounded context for the record', () => {
    const tags = Array.from({ length: CONTEXT_LIMITS.enforcedTags + 1 }, (_, i) => `t${i}`);
    const { context, overflow } = boundEnforcedContext({ tags });
    expect(overflow).toMatch(/1025 distinct tags, more than the 1024/);
    expect(context.tags).toHaveLength(CONTEXT_LIMITS.enforcedTags);
    // Repeats of a few tags are no overflow.
    expect(
      boundEnforcedContext({ tags: Array.from({ length: 5000 }, (_, i) => `t${i % 3}`) }).overflow,
    ).toBeUndefined();
  });
});
