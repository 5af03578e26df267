import { describe, expect, test } from 'vitest';
import {
  type Dimension,
  matchedVia,
  matchesPattern,
  scopeMatches,
  scopeMismatch,
} from '../../../src/engine/match.ts';
import type { AttachmentSpec, RequestContext } from '../../../src/engine/types.ts';

const spec = (s: Partial<AttachmentSpec>): AttachmentSpec => ({
  policy: 'p',
  teams: [],
  keys: [],
  models: [],
  tags: [],
  priority: 0,
  ...s,
});

describe('matchesPattern', () => {
  const cases: { note: string; value: string | null | undefined; patterns: string[]; want: boolean }[] = [
    { note: 'null matches a literal *', value: null, patterns: ['x', '*'], want: true },
    { note: 'undefined matches a literal *', value: undefined, patterns: ['*'], want: true },
    { note: 'null does not match a prefix pattern', value: null, patterns: ['a*'], want: false },
    { note: 'null does not match an empty list', value: null, patterns: [], want: false },
    { note: 'a value does not match an empty list', value: 'a', patterns: [], want: false },
    { note: '* matches any value', value: 'anything', patterns: ['*'], want: true },
    { note: '* matches the empty string', value: '', patterns: ['*'], want: true },
    { note: 'trailing * is a prefix', value: 'medical-x', patterns: ['medical-*'], want: true },
    { note: 'prefix matches the bare prefix', value: 'medical-', patterns: ['medical-*'], want: true },
    { note: 'shorter than the prefix', value: 'medical', patterns: ['medical-*'], want: false },
    { note: 'exact equality', value: 'eng', patterns: ['eng'], want: true },
    { note: 'exact is not a prefix', value: 'eng-a', patterns: ['eng'], want: false },
    { note: 'case-sensitive', value: 'ENG', patterns: ['eng'], want: false },
    { note: '? is literal', value: 'abc', patterns: ['a?c'], want: false },
    { note: '? equals itself', value: 'a?c', patterns: ['a?c'], want: true },
    { note: 'an inner * is literal', value: 'abc', patterns: ['a*c'], want: false },
    { note: 'an inner * equals itself', value: 'a*c', patterns: ['a*c'], want: true },
    { note: 'any pattern of the list', value: 'b', patterns: ['a', 'b'], want: true },
    { note: 'the empty pattern equals the empty string', value: '', patterns: [''], want: true },
  ];
  for (const c of cases) test(c.note, () => expect(matchesPattern(c.value, c.patterns)).toBe(c.want));
});

describe('scopeMatches', () => {
  const cases: {
    note: string;
    spec: Partial<AttachmentSpec>;
    ctx: RequestContext;
    want: Dimension | undefined;
  }[] = [
    { note: 'global matches an empty context', spec: { scope: '*' }, ctx: {}, want: undefined },
    {
      note: 'global drops its tags and ignores selectors',
      spec: { scope: '*', teams: ['x'], tags: ['t'] },
      ctx: { teamAlias: 'y' },
      want: undefined,
    },
    {
      note: 'a scope other than * is ignored',
      spec: { scope: 'x', teams: ['a'] },
      ctx: { teamAlias: 'b' },
      want: 'teams',
    },
    {
      note: 'no selectors match everything',
      spec: {},
      ctx: { teamAlias: null, keyAlias: null, model: null },
      want: undefined,
    },
    { note: 'a team selector never matches no team', spec: { teams: ['x'] }, ctx: {}, want: 'teams' },
    { note: 'teams ["*"] matches no team', spec: { teams: ['*'] }, ctx: {}, want: undefined },
    { note: 'team prefix', spec: { teams: ['medical-*'] }, ctx: { teamAlias: 'medical-x' }, want: undefined },
    {
      note: 'AND across dimensions',
      spec: { teams: ['eng'], keys: ['k1'] },
      ctx: { teamAlias: 'eng', keyAlias: 'k2' },
      want: 'keys',
    },
    {
      note: 'model prefix',
      spec: { models: ['bedrock/*'] },
      ctx: { model: 'bedrock/claude' },
      want: undefined,
    },
    { note: 'model mismatch', spec: { models: ['bedrock/*'] }, ctx: { model: 'gpt-4' }, want: 'models' },
    {
      note: 'tags need context tags (null)',
      spec: { tags: ['health-*'] },
      ctx: { tags: null },
      want: 'tags',
    },
    { note: 'tags need context tags (empty)', spec: { tags: ['*'] }, ctx: { tags: [] }, want: 'tags' },
    {
      note: 'tags any × any',
      spec: { tags: ['a', 'health-*'] },
      ctx: { tags: ['x', 'health-1'] },
      want: undefined,
    },
    { note: 'no tag matches', spec: { tags: ['health-*'] }, ctx: { tags: ['x'] }, want: 'tags' },
    { note: 'empty tags are not checked', spec: {}, ctx: { tags: ['a'] }, want: undefined },
    {
      note: 'first failing dimension is reported',
      spec: { teams: ['a'], models: ['m'] },
      ctx: {},
      want: 'teams',
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      expect(scopeMismatch(spec(c.spec), c.ctx)).toBe(c.want);
      expect(scopeMatches(spec(c.spec), c.ctx)).toBe(c.want === undefined);
    });
  }
});

describe('matchedVia', () => {
  const cases: { note: string; spec: Partial<AttachmentSpec>; ctx: RequestContext; want: string }[] = [
    { note: 'global', spec: { scope: '*', teams: ['eng'] }, ctx: { teamAlias: 'eng' }, want: 'scope:*' },
    {
      note: 'teams ["*"] still names the team',
      spec: { teams: ['*'] },
      ctx: { teamAlias: 'eng' },
      want: 'team:eng',
    },
    { note: 'no team in the context', spec: { teams: ['*'] }, ctx: {}, want: 'scope:default' },
    { note: 'no selectors', spec: {}, ctx: { teamAlias: 'eng', model: 'm' }, want: 'scope:default' },
    {
      note: 'first context tag that matches',
      spec: { tags: ['a*', 'b'] },
      ctx: { tags: ['x', 'b', 'a1'] },
      want: 'tag:b',
    },
    {
      note: 'every part in order',
      spec: { tags: ['t'], teams: ['eng'], keys: ['k*'], models: ['gpt-4'] },
      ctx: { tags: ['t'], teamAlias: 'eng', keyAlias: 'k1', model: 'gpt-4' },
      want: 'tag:t+team:eng+key:k1+model:gpt-4',
    },
    {
      note: 'key and model',
      spec: { keys: ['k'], models: ['*'] },
      ctx: { keyAlias: 'k', model: 'm' },
      want: 'key:k+model:m',
    },
    {
      note: 'an empty alias is no part',
      spec: { teams: [''] },
      ctx: { teamAlias: '' },
      want: 'scope:default',
    },
  ];
  for (const c of cases) test(c.note, () => expect(matchedVia(spec(c.spec), c.ctx)).toBe(c.want));
});
