import { describe, expect, test } from 'vitest';
import { CallCache } from '../../../src/enforce/index.ts';

describe('CallCache', () => {
  test('remembers within the ttl and forgets after it', () => {
    let now = 0;
    const cache = new CallCache<string>({ ttlMs: 100, now: () => now });
    cache.set('c1', 'gpt-4o');
    now = 99;
    expect(cache.get('c1')).toBe('gpt-4o');
    now = 100;
    expect(cache.get('c1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('stays within maxEntries, evicting the oldest write', () => {
    const cache = new CallCache<number>({ maxEntries: 3, ttlMs: 1000, now: () => 0 });
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) cache.set(id, i);
    expect(cache.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => cache.get(id))).toEqual([undefined, 1, 2, 3]);
  });

  test('a rewrite refreshes the entry: it is the newest again', () => {
    const cache = new CallCache<number>({ maxEntries: 2, ttlMs: 1000, now: () => 0 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([3, undefined, 4]);
  });
});

describe('CallCache bounds', () => {
  test('an id longer than maxIdChars is not remembered', () => {
    const cache = new CallCache<string>({ maxIdChars: 8 });
    cache.set('x'.repeat(9), 'gpt-4o');
    cache.set('short', 'gpt-4o');
    expect(cache.size).toBe(1);
    expect(cache.get('x'.repeat(9))).toBeUndefined();
    expect(cache.get('short')).toBe('gpt-4o');
  });
});
