import { describe, expect, test } from 'vitest';
import { ShadowRecorder, type ShadowRun } from '../../../src/usage/index.ts';

const subject = (policy = 'p', versionNumber = 2) => ({
  namespace: 'ns',
  policy,
  policyId: `${policy}-v${versionNumber}`,
  versionNumber,
});
const ctx = { team: 't', key: null, model: 'gpt-4o', tags: ['x'] };
const runOf = (over: Partial<ShadowRun> = {}): ShadowRun => ({
  subject: subject(),
  result: 'agree',
  production: 'allow',
  shadow: 'allow',
  shadowErrors: false,
  context: ctx,
  ...over,
});

describe('ShadowRecorder', () => {
  test('counts runs by result, production allowed or blocked, errors, and differences by guardrail', () => {
    let now = 1000;
    const r = new ShadowRecorder({ now: () => now });
    r.record(runOf());
    now = 2000;
    r.record(runOf({ result: 'would_block', shadow: 'block', guardrail: 'inject' }));
    r.record(runOf({ result: 'would_block', shadow: 'block', guardrail: 'inject' }));
    r.record(runOf({ result: 'would_allow', production: 'block', guardrail: 'words' }));
    r.record(runOf({ result: 'error', shadowErrors: true, guardrail: 'hook' }));
    r.skipped(subject());
    const [s] = r.stats();
    expect(s).toMatchObject({
      since: 1000,
      lastRunAt: 2000,
      runs: 5,
      skipped: 1,
      productionAllowed: 4,
      productionBlocked: 1,
      errors: 1,
      results: { agree: 1, would_block: 2, would_allow: 1, error: 1, mask_differs: 0, cannot_decide: 0 },
    });
    expect(s?.byGuardrail).toEqual([
      { guardrail: 'inject', result: 'would_block', count: 2 },
      { guardrail: 'hook', result: 'error', count: 1 },
      { guardrail: 'words', result: 'would_allow', count: 1 },
    ]);
    expect(r.recent().map((d) => d.result)).toEqual(['error', 'would_allow', 'would_block', 'would_block']);
    expect(r.recent()[0]).toMatchObject({ policy: 'p', versionNumber: 2, at: 2000, context: ctx });
  });

  test('bounded: versions past the cap count as other, guardrails too, and the log keeps the newest', () => {
    const r = new ShadowRecorder({ maxSubjects: 2, maxGuardrails: 1, recent: 3 });
    for (const p of ['a', 'b', 'c', 'd']) r.record(runOf({ subject: subject(p) }));
    expect(r.stats().map((s) => s.subject.policy)).toEqual(['a', 'b', 'other']);
    expect(r.stats().find((s) => s.subject.policy === 'other')?.runs).toBe(2);
    for (const g of ['g1', 'g2', 'g1'])
      r.record(runOf({ result: 'would_block', shadow: 'block', guardrail: g }));
    const pStats = r.stats().find((s) => s.subject.policy === 'p');
    expect(pStats).toBeUndefined(); // p is past the cap: counted under other
    const other = r.stats().find((s) => s.subject.policy === 'other');
    expect(other?.byGuardrail).toEqual([
      { guardrail: 'g1', result: 'would_block', count: 2 },
      { guardrail: 'other', result: 'would_block', count: 1 },
    ]);
    expect(r.recent()).toHaveLength(3);
  });

  test('its state comes back after a restart; one it cannot read is refused', () => {
    const r = new ShadowRecorder({ now: () => 5 });
    r.record(runOf({ result: 'mask_differs', shadow: 'mask', production: 'mask', guardrail: 'pii' }));
    const back = new ShadowRecorder();
    expect(back.restore(JSON.parse(JSON.stringify(r.state())))).toBe(true);
    expect(back.stats()).toEqual(r.stats());
    expect(back.recent()).toEqual(r.recent());
    // Prometheus counts start over with the process.
    expect(back.lifetime()).toEqual([]);
    expect(new ShadowRecorder().restore({ version: 2 })).toBe(false);
    expect(new ShadowRecorder().restore({ version: 1, subjects: [{ runs: 'x' }], recent: [] })).toBe(false);
  });
});
