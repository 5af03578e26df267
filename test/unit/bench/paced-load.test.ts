import { describe, expect, it } from 'vitest';
import { childrenCpuSeconds, type LogRow, parseLog, summarize } from '../../../bench/paced-load.ts';

/** One request every `everyUs` from `fromUs`, each taking `latencyUs(i)`. */
function evenly(
  count: number,
  everyUs: number,
  latencyUs: (i: number) => number,
  fromUs = 1_000_000,
): LogRow[] {
  return Array.from({ length: count }, (_, i) => ({
    startUs: fromUs + i * everyUs,
    status: 200,
    latencyUs: latencyUs(i),
  }));
}

describe('the paced load summary', () => {
  // 1,000 req/s over 10 connections: each connection is due every 10 ms.
  const spec = { requestsPerSecond: 1000, connections: 10, warmupSeconds: 1 };

  it('drops the warm-up second and reports the measured rate', () => {
    const warmup = evenly(1000, 1000, () => 50_000);
    const measured = evenly(2000, 1000, () => 100, 2_000_000);
    const summary = summarize([...warmup, ...measured], spec);
    expect(summary.latencyMaxMs).toBeCloseTo(0.1, 3);
    expect(summary.requestsPerSecond).toBeCloseTo(1000, -1);
    expect(summary.correctedShare).toBe(0);
  });

  it('adds back the requests a late answer held up on its connection', () => {
    // One answer takes 200 ms: its connection could not send the requests due 10, 20, … 190 ms
    // after it, which would have waited 190, 180, … 10 ms. Uncorrected, the p99 would be 0.1 ms.
    const rows = evenly(1000, 1000, (i) => (i === 500 ? 200_000 : 100));
    const summary = summarize(rows, { ...spec, warmupSeconds: 0 });
    expect(summary.correctedShare).toBeCloseTo(19 / 1000, 6);
    expect(summary.latencyMaxMs).toBeCloseTo(200, -1);
    expect(summary.latencyP99Ms).toBeCloseTo(100, -1);
    expect(summary.latencyP50Ms).toBeCloseTo(0.1, 3);
  });
});

describe("h2load's output", () => {
  it('reads the log file: start, status, microseconds', () => {
    expect(parseLog('1700000000000000\t200\t812\n1700000000000100\t503\t90\n')).toEqual([
      { startUs: 1700000000000000, status: 200, latencyUs: 812 },
      { startUs: 1700000000000100, status: 503, latencyUs: 90 },
    ]);
    expect(() => parseLog('garbage\n')).toThrow('unexpected h2load log line: garbage');
  });

  it("reads the children's CPU time from sh's times (dash and bash formats)", () => {
    expect(childrenCpuSeconds('0m0.004000s 0m0.000000s\n0m2.500000s 0m0.750000s\n')).toBeCloseTo(3.25, 6);
    expect(childrenCpuSeconds('0m0.004s 0m0.001s\n1m1.500s 0m0.500s\n')).toBeCloseTo(62, 6);
    expect(() => childrenCpuSeconds('')).toThrow("unexpected output of sh's times");
  });
});
