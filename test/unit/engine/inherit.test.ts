import { describe, expect, test } from 'vitest';
import { compileCondition } from '../../../src/engine/condition.ts';
import {
  type GuardrailLevel,
  inheritanceChain,
  resolvePolicyGuardrails,
} from '../../../src/engine/inherit.ts';
import type { PolicyContent, RequestContext } from '../../../src/engine/types.ts';

const content = (inherit?: string): PolicyContent => ({
  ...(inherit === undefined ? {} : { inherit }),
  guardrails: { add: [], remove: [] },
});

describe('inheritanceChain', () => {
  const cases: { note: string; parents: Record<string, string | undefined>; name: string; want: string[] }[] =
    [
      { note: 'no parent', parents: { a: undefined }, name: 'a', want: ['a'] },
      {
        note: 'three levels, root first',
        parents: { a: undefined, b: 'a', c: 'b' },
        name: 'c',
        want: ['a', 'b', 'c'],
      },
      { note: 'missing parent contributes nothing', parents: { a: 'x' }, name: 'a', want: ['a'] },
      { note: 'missing leaf gives nothing', parents: { a: undefined }, name: 'z', want: [] },
      { note: 'cycle A→B→A from A', parents: { a: 'b', b: 'a' }, name: 'a', want: ['b', 'a'] },
      { note: 'cycle A→B→A from B', parents: { a: 'b', b: 'a' }, name: 'b', want: ['a', 'b'] },
      { note: 'self cycle', parents: { a: 'a' }, name: 'a', want: ['a'] },
      {
        note: 'tail into a cycle',
        parents: { x: 'a', a: 'b', b: 'c', c: 'a' },
        name: 'x',
        want: ['c', 'b', 'a', 'x'],
      },
    ];
  for (const c of cases) {
    test(c.note, () => {
      const lookup = (n: string) => (n in c.parents ? content(c.parents[n]) : undefined);
      expect(inheritanceChain(c.name, lookup)).toEqual(c.want);
    });
  }
});

type Level = { add?: string[]; remove?: string[]; model?: string };
const levels = (ls: Level[]): GuardrailLevel[] =>
  ls.map((l) => ({
    add: l.add ?? [],
    remove: l.remove ?? [],
    condition: compileCondition(l.model === undefined ? undefined : { model: l.model }),
  }));

describe('resolvePolicyGuardrails', () => {
  const base: Level = { add: ['pii', 'tox'] };
  const cases: { note: string; chain: Level[]; ctx?: RequestContext; want: string[] }[] = [
    { note: 'doc: base', chain: [base], want: ['pii', 'tox'] },
    { note: 'doc: strict inherits and adds', chain: [base, { add: ['pi'] }], want: ['pi', 'pii', 'tox'] },
    { note: 'doc: relaxed removes', chain: [base, { remove: ['tox'] }], want: ['pii'] },
    { note: 'remove wins within a level', chain: [{ add: ['a'], remove: ['a'] }], want: [] },
    {
      note: 'a child re-adds what a parent removed',
      chain: [{ add: ['a', 'b'] }, { remove: ['a'] }, { add: ['a'] }],
      want: ['a', 'b'],
    },
    { note: 'removing an absent name does nothing', chain: [{ add: ['a'], remove: ['z'] }], want: ['a'] },
    { note: 'sorted', chain: [{ add: ['z', 'a', 'm'] }], want: ['a', 'm', 'z'] },
    { note: 'empty chain', chain: [], want: [] },
    {
      note: 'a failing child condition skips its add and its remove',
      chain: [{ add: ['a'] }, { add: ['b'], remove: ['a'], model: 'gpt-4' }],
      ctx: { model: 'gpt-3.5' },
      want: ['a'],
    },
    {
      note: 'a passing child condition applies',
      chain: [{ add: ['a'] }, { add: ['b'], remove: ['a'], model: 'gpt-4.*' }],
      ctx: { model: 'gpt-4o' },
      want: ['b'],
    },
    {
      note: 'without a context every level applies',
      chain: [{ add: ['a'] }, { add: ['b'], remove: ['a'], model: 'gpt-4' }],
      want: ['b'],
    },
    {
      note: 'a failing parent condition skips only the parent',
      chain: [{ add: ['a'], model: 'gpt-4' }, { add: ['b'] }],
      ctx: { model: 'claude' },
      want: ['b'],
    },
    {
      note: 'no model fails a conditioned level',
      chain: [{ add: ['a'], model: '.*' }, { add: ['b'] }],
      ctx: {},
      want: ['b'],
    },
  ];
  for (const c of cases)
    test(c.note, () => expect(resolvePolicyGuardrails(levels(c.chain), c.ctx)).toEqual(c.want));
});
