import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { OTHER, type UsageDecision, UsageFile, UsageRecorder } from '../../../src/usage/index.ts';

const HOUR = 3_600_000;

function decision(over: Partial<UsageDecision> = {}): UsageDecision {
  return {
    namespace: 'ns',
    verdict: { kind: 'allow' },
    policies: [{ policyName: 'base' }],
    guardrails: [{ guardrail: 'pii', via: 'policy:base', outcome: 'pass', masked: false }],
    durationMs: 1.5,
    ...over,
  };
}

const clock = (start = 10 * HOUR) => {
  const c = { now: start, tick: (ms: number) => (c.now += ms) };
  return c;
};

const countsOf = (
  usage: UsageRecorder,
  subject: string,
  name: string,
  from = 0,
  to = Number.MAX_SAFE_INTEGER,
) =>
  [...usage.window(from, to).labels.values()].find(
    (l) => l.label.subject === subject && l.label.name === name,
  )?.counts;

describe('UsageRecorder', () => {
  test('counts calls, blocks, masks, errors and cannot-decide per policy and guardrail', () => {
    const c = clock();
    const usage = new UsageRecorder({ now: () => c.now });
    usage.record({ decision: decision() });
    usage.record({
      decision: decision({
        verdict: { kind: 'block', policy: 'base', guardrail: 'pii' },
        guardrails: [{ guardrail: 'pii', via: 'pipeline:base', outcome: 'fail', masked: false }],
      }),
    });
    usage.record({
      decision: decision({
        verdict: { kind: 'mask' },
        guardrails: [{ guardrail: 'pii', via: 'policy:base', outcome: 'pass', masked: true }],
      }),
    });
    usage.record({
      decision: decision({
        verdict: { kind: 'cannot_decide', reason: 'deadline' },
        guardrails: [{ guardrail: 'pii', via: 'policy:base', outcome: 'error', masked: false }],
      }),
    });
    expect(countsOf(usage, 'policy', 'base')).toEqual([4, 1, 1, 1, 1]);
    expect(countsOf(usage, 'guardrail', 'pii')).toEqual([4, 1, 1, 1, 0]);
    expect(usage.window(0, Number.MAX_SAFE_INTEGER).chart.map((p) => p.totals)).toEqual([[4, 1, 1, 1, 1]]);
  });

  test('hourly buckets: a window selects hours, and hours past the window are dropped', () => {
    const c = clock();
    const usage = new UsageRecorder({ now: () => c.now, buckets: 3 });
    usage.record({ decision: decision() });
    c.tick(HOUR);
    usage.record({ decision: decision() });
    usage.record({ decision: decision() });
    expect(countsOf(usage, 'policy', 'base', 11 * HOUR, 12 * HOUR)?.[0]).toBe(2);
    expect(usage.window(0, Number.MAX_SAFE_INTEGER).chart.map((p) => p.start)).toEqual([
      10 * HOUR,
      11 * HOUR,
    ]);
    c.tick(3 * HOUR);
    usage.record({ decision: decision() });
    expect(usage.window(0, Number.MAX_SAFE_INTEGER).chart.map((p) => p.start)).toEqual([14 * HOUR]);
  });

  test('names past the cap are counted as other', () => {
    const usage = new UsageRecorder({ maxNames: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'a'])
      usage.record({ decision: decision({ policies: [{ policyName: name }], guardrails: [] }) });
    const names = [...usage.window(0, Number.MAX_SAFE_INTEGER).labels.values()].map(
      (l) => `${l.label.name}:${l.counts[0]}`,
    );
    expect(names.sort()).toEqual(['a:2', 'b:1', `${OTHER}:2`]);
    expect([...usage.lifetime()].filter((l) => l.outcome === 'calls').length).toBe(3);
  });

  test('recent decisions are bounded, newest first, and never carry text', () => {
    const usage = new UsageRecorder({ recent: 2 });
    for (const id of ['c1', 'c2', 'c3']) usage.record({ decision: decision(), callId: id, model: 'gpt-4o' });
    expect(usage.recent().map((r) => r.id)).toEqual(['c3', 'c2']);
    expect(usage.recent()[0]).toMatchObject({
      action: 'passed',
      model: 'gpt-4o',
      policies: ['base'],
      guardrails: ['pii'],
    });
  });

  test('state and restore keep the window; a foreign state is refused', () => {
    const c = clock();
    const usage = new UsageRecorder({ now: () => c.now });
    usage.record({ decision: decision({ verdict: { kind: 'block', policy: 'base' } }) });
    const copy = new UsageRecorder({ now: () => c.now });
    expect(copy.restore(JSON.parse(JSON.stringify(usage.state())))).toBe(true);
    expect(countsOf(copy, 'policy', 'base')).toEqual([1, 1, 0, 0, 0]);
    expect(
      new UsageRecorder().restore({
        version: 1,
        bucketMs: HOUR,
        buckets: [{ start: 0, totals: [1], labels: [] }],
        recent: [],
      }),
    ).toBe(false);
    expect(new UsageRecorder({ bucketMs: 60_000 }).restore(usage.state())).toBe(false);
  });
});

describe('UsageFile', () => {
  test('writes debounced and atomically; a restart reads the window back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'railyard-usage-'));
    const path = join(dir, 'usage.json');
    const problems: string[] = [];
    const first = new UsageFile({ path, debounceMs: 10, onProblem: (m) => problems.push(m) });
    const usage = new UsageRecorder({ onChange: () => first.changed() });
    await first.attach(usage);
    usage.record({ decision: decision() });
    await new Promise((r) => setTimeout(r, 50));
    await first.flush();
    expect(JSON.parse(await readFile(path, 'utf8')).version).toBe(1);
    const again = new UsageRecorder();
    await new UsageFile({ path, onProblem: (m) => problems.push(m) }).attach(again);
    expect(countsOf(again, 'policy', 'base')?.[0]).toBe(1);
    expect(problems).toEqual([]);
  });

  test('a corrupt file is reported and usage starts fresh', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'railyard-usage-'));
    const path = join(dir, 'usage.json');
    await writeFile(path, '{"version": 1, "buckets": [');
    const problems: string[] = [];
    const usage = new UsageRecorder();
    await new UsageFile({ path, onProblem: (m) => problems.push(m) }).attach(usage);
    expect(problems).toEqual([`${path} is not a usage file this version reads; usage starts fresh`]);
    expect(usage.window(0, Number.MAX_SAFE_INTEGER).labels.size).toBe(0);
  });
});
