/**
 * In-process resolve: warm calls of the answer call (`answer('resolve', ...)`, the call every
 * adapter makes) against a real Registry's snapshot, cycling through the tree's contexts, so that
 * every call after the first round is answered from the answer cache, as a proxy's repeat callers
 * are. The index walk that a context's first request pays (the engine's `resolve`) is measured the
 * same way and reported beside it. Each run times a fixed
 * number of calls; small and large trees are measured back to back in every run so their ratios
 * come from the same conditions.
 */
import { type PolicyIndex, type RequestContext, type Resolution, resolve } from '../src/engine/index.ts';
import {
  AnswerCache,
  type AnswerOptions,
  answer,
  type ResolveAnswer,
  type Snapshot,
} from '../src/registry/index.ts';
import type { Tree } from './generate-tree.ts';
import { loadApp, NAMESPACE, namespaceIndex } from './in-process-app.ts';
import type { Row } from './report.ts';
import { median } from './stats.ts';

const CALLS = 200_000;

type Loaded = {
  readonly tree: Tree;
  readonly index: PolicyIndex;
  readonly snapshot: Snapshot;
  readonly answering: AnswerOptions;
};
type Resolver = (loaded: Loaded, ctx: RequestContext) => Resolution;

const walk: Resolver = (loaded, ctx) => resolve(loaded.index, ctx);

/** The answer call, with one cache per tree as a server has one. */
const answered: Resolver = (loaded, context) => {
  const a = answer('resolve', loaded.snapshot, { context }, loaded.answering);
  if (!a.ok) throw new Error(a.error.message);
  return a.value;
};

/** Microseconds per call over `calls` calls (the matched count is returned so no work is skipped). */
function timeCalls(how: Resolver, loaded: Loaded, calls: number): number {
  const contexts = loaded.tree.contexts;
  let matched = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++)
    matched += how(loaded, contexts[i % contexts.length] as RequestContext).matchedPolicies.length;
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

/** Per run, the microseconds per call at each tree (`how` on every tree, back to back). */
function timeRuns(how: Resolver, loaded: readonly Loaded[], runs: number): number[][] {
  for (const l of loaded) timeCalls(how, l, CALLS); // warm-up
  const perRun: number[][] = [];
  for (let r = 0; r < runs; r++) perRun.push(loaded.map((l) => timeCalls(how, l, CALLS)));
  return perRun;
}

/** One row per tree, then the throughput ratio of the largest tree over the smallest. */
function rowsOf(
  loaded: readonly Loaded[],
  perRun: readonly number[][],
  label: (policies: string) => string,
  how: string,
  targets: { readonly largest?: Row['target']; readonly ratio?: Row['target'] },
): Row[] {
  const policies = (l: Loaded): string => l.tree.policies.toLocaleString('en');
  const rows: Row[] = loaded.map((l, i) => ({
    measurement: label(`${policies(l)} policies`),
    value: median(perRun.map((run) => run[i] as number)),
    unit: 'µs',
    ...(i === loaded.length - 1 && targets.largest ? { target: targets.largest } : {}),
    detail: `median of ${perRun.length} runs × ${CALLS.toLocaleString('en')} calls over ${l.tree.contexts.length} contexts, ${how}; ${meanMatched(l.index, l.tree.contexts)}`,
  }));
  const smallest = loaded[0] as Loaded;
  const largest = loaded[loaded.length - 1] as Loaded;
  rows.push({
    measurement: `${label(`${policies(largest)} ÷ ${policies(smallest)} policies`)}, throughput`,
    value: median(perRun.map((run) => (run[0] as number) / (run[run.length - 1] as number))),
    unit: '×',
    ...(targets.ratio ? { target: targets.ratio } : {}),
    detail:
      'calls per second at the largest tree over the smallest, the median of the per-run ratios; every tree matches the same number of policies per call at the same chain depth',
  });
  return rows;
}

export async function measureResolve(trees: readonly Tree[], runs: number): Promise<Row[]> {
  const loaded = await Promise.all(
    trees.map(async (tree) => {
      const { app } = await loadApp(tree);
      const answering = { defaultNamespace: NAMESPACE, cache: new AnswerCache<ResolveAnswer>() };
      return { tree, index: namespaceIndex(app), snapshot: app.snapshot(), answering };
    }),
  );
  // The walk is timed first: once the cache keeps answers alive, V8 pretenures the walk's
  // allocation sites (its results survive), and a loop of nothing but walks then allocates in the
  // old generation at about half the speed. That is the cache's steady state, not the walk's cost.
  const walks = timeRuns(walk, loaded, runs);
  const warm = timeRuns(answered, loaded, runs);
  return [
    ...rowsOf(
      loaded,
      warm,
      (of) => `in-process resolve, ${of}, warm`,
      'repeat contexts answered from the answer cache',
      { largest: { op: '<=', limit: 5 }, ratio: { op: '>=', limit: 0.9 } },
    ),
    ...rowsOf(
      loaded,
      walks,
      (of) => `index walk (a context's first request), ${of}`,
      'every call walking the index (the engine resolve)',
      {},
    ),
  ];
}
