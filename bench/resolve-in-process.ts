/**
 * In-process resolve: warm calls of `resolve` against a real App's index, cycling through the
 * tree's contexts. Each run times a fixed number of calls; small and large trees are measured
 * back to back in every run so their ratio comes from the same conditions.
 */
import { type PolicyIndex, type RequestContext, resolve } from '../src/engine/index.ts';
import type { Tree } from './generate-tree.ts';
import { loadApp, namespaceIndex } from './in-process-app.ts';
import type { Row } from './report.ts';
import { median } from './stats.ts';

const CALLS = 200_000;

/** Microseconds per call over `calls` calls (the matched count is returned so no work is skipped). */
function timeCalls(index: PolicyIndex, contexts: readonly RequestContext[], calls: number): number {
  let matched = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++)
    matched += resolve(index, contexts[i % contexts.length] as RequestContext).matchedPolicies.length;
  const elapsed = performance.now() - started;
  if (matched < 0) throw new Error('unreachable');
  return (elapsed * 1000) / calls;
}

/** What a call matches, on average: policies, and levels of inheritance per matched policy. */
function meanMatched(index: PolicyIndex, contexts: readonly RequestContext[]): string {
  let policies = 0;
  let levels = 0;
  for (const c of contexts) {
    for (const m of resolve(index, c).matchedPolicies) {
      policies++;
      levels += m.versions.length;
    }
  }
  return `${(policies / contexts.length).toFixed(1)} matched policies per call, ${(levels / policies).toFixed(1)} chain levels each`;
}

export async function measureResolve(trees: readonly Tree[], runs: number): Promise<Row[]> {
  const loaded = await Promise.all(
    trees.map(async (tree) => ({ tree, index: namespaceIndex((await loadApp(tree)).app) })),
  );
  for (const { tree, index } of loaded) timeCalls(index, tree.contexts, CALLS); // warm-up
  const perRun: number[][] = [];
  for (let r = 0; r < runs; r++)
    perRun.push(loaded.map(({ tree, index }) => timeCalls(index, tree.contexts, CALLS)));
  const smallest = loaded[0] as (typeof loaded)[number];
  const largest = loaded[loaded.length - 1] as (typeof loaded)[number];
  const rows: Row[] = loaded.map(({ tree, index }, i) => {
    const isLargest = i === loaded.length - 1;
    return {
      measurement: `in-process resolve, ${tree.policies.toLocaleString('en')} policies, warm`,
      value: median(perRun.map((run) => run[i] as number)),
      unit: 'µs',
      ...(isLargest ? { target: { op: '<=', limit: 5 } as const } : {}),
      detail: `median of ${runs} runs × ${CALLS.toLocaleString('en')} calls over ${tree.contexts.length} contexts; ${meanMatched(index, tree.contexts)}`,
    };
  });
  rows.push({
    measurement: `in-process resolve throughput, ${largest.tree.policies.toLocaleString('en')} ÷ ${smallest.tree.policies.toLocaleString('en')} policies`,
    value: median(perRun.map((run) => (run[0] as number) / (run[run.length - 1] as number))),
    unit: '×',
    target: { op: '>=', limit: 0.9 },
    detail:
      'calls per second at the largest tree over the smallest, the median of the per-run ratios; every tree matches the same number of policies per call at the same chain depth',
  });
  return rows;
}
