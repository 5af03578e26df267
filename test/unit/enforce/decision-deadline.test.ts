/**
 * The decision deadline holds for synchronous guardrail work: a check that overruns it in the
 * worker pool is terminated (its thread replaced) and the decision answers cannot_decide, never a
 * late allow; a check that overruns on the event loop is cannot_decide too, by the clock.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDecider, type DecisionInput } from '../../../src/enforce/index.ts';
import { CheckPool } from '../../../src/guardrails/index.ts';
import type { Registry } from '../../../src/registry/index.ts';
import { appFrom, guardrail, policy } from './fixtures.ts';

// `a.*b|a` on a run of a's: every match scans to the end, so finding them all is quadratic (RE2 is
// linear per search, not per text). 100,000 a's take minutes: only the deadline ends it.
const SLOW =
  guardrail('slow', "{type: regex, mode: pre_call, config: {patterns: [{name: AB, pattern: 'a.*b|a'}]}}") +
  guardrail('words', '{type: keywords, mode: pre_call, config: {words: [hidden]}}') +
  policy('base', '{guardrails: {add: [slow, words]}}', 'scope: "*"');

const input = (content: string): DecisionInput => ({
  context: {},
  phase: 'pre_call',
  messages: [{ role: 'user', content }],
});

let app: Registry;
let pool: CheckPool;
beforeAll(async () => {
  app = await appFrom(SLOW);
  pool = new CheckPool({ threads: 1, inlineChars: 1024 });
});
afterAll(() => pool.destroy());

const decider = (over: { pool?: CheckPool; deadlineMs: number }) =>
  createDecider({
    snapshot: () => app.snapshot(),
    synced: () => true,
    defaultNamespace: 'default',
    ...over,
  });

describe('a check that overruns the deadline', () => {
  test('in the pool: cannot_decide at the deadline, the worker replaced, the next decision served', async () => {
    const decide = decider({ pool, deadlineMs: 200 });
    const slow = await decide(input('a'.repeat(100_000)));
    expect(slow.verdict).toEqual({ kind: 'cannot_decide', reason: 'decision deadline of 200 ms exceeded' });
    // The terminated thread is gone, and the pool serves the next large decision with a new one
    // (starting a thread takes a while on a busy machine: this decision has time for it).
    const next = await decider({ pool, deadlineMs: 10_000 })(input('hidden '.repeat(500)));
    expect(next.verdict).toMatchObject({ kind: 'block', guardrail: 'words' });
    expect(pool.threads).toBeLessThanOrEqual(1);
  });

  test('on the event loop (no pool): cannot_decide by the clock, never a late allow', async () => {
    let now = 0;
    const decide = createDecider({
      snapshot: () => app.snapshot(),
      synced: () => true,
      defaultNamespace: 'default',
      deadlineMs: 50,
      // Every reading of the clock is 30 ms later: the checks "take" longer than the deadline
      // while the deadline's timer cannot fire in between.
      now: () => (now += 30),
    });
    const d = await decide(input('nothing to see'));
    expect(d.verdict).toEqual({ kind: 'cannot_decide', reason: 'decision deadline of 50 ms exceeded' });
  });

  test('content at most inlineChars is checked on the event loop, larger in the pool', async () => {
    const decide = decider({ pool, deadlineMs: 5_000 });
    expect((await decide(input('hidden'))).verdict).toMatchObject({ kind: 'block', guardrail: 'words' });
    expect(pool.offloads(1024)).toBe(false);
    expect(pool.offloads(1025)).toBe(true);
  });
});
