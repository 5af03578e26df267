import { describe, expect, test } from 'vitest';
import { commaList } from '../../../src/engine/index.ts';

describe('commaList', () => {
  test.each([
    [undefined, []],
    ['', []],
    [' , ,', []],
    ['a', ['a']],
    ['a, b,,c ', ['a', 'b', 'c']],
    ['team a , team b', ['team a', 'team b']],
  ])('%j → %j', (text, items) => {
    expect(commaList(text)).toEqual(items);
  });
});
