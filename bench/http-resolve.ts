/**
 * `GET /v1/resolve` on the real `railyard serve` against the bare baseline, both in child
 * processes, load in a third: peak throughput from autocannon (closed loop), latency at half of
 * Railyard's peak from h2load (a constant rate, `paced-load.ts`). Every run measures the baseline
 * and Railyard back to back, the other one paused, so each ratio compares two figures taken under
 * the same conditions.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cores, placement, placeServer } from './cpus.ts';
import { contextQuery, type Tree, writeTree } from './generate-tree.ts';
import { type LoadRequest, type LoadSpec, runLoad } from './load.ts';
import { type PacedResult, type PacedSpec, runPacedLoad } from './paced-load.ts';
import type { Row } from './report.ts';
import { AUTH_HEADERS, alone, startBaseline, startServe, waitReady } from './servers.ts';
import { median } from './stats.ts';

export type HttpOptions = {
  readonly runs: number;
  readonly durationSeconds: number;
  readonly connections: number;
};

type Answer = { readonly path: string; readonly etag: string; readonly body: string };

/** Fetches every context once: its path, ETag and body. */
async function answers(url: string, tree: Tree): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const ctx of tree.contexts) {
    const path = `/v1/resolve?${contextQuery(ctx)}`;
    const res = await fetch(`${url}${path}`, { headers: AUTH_HEADERS });
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
    out.push({ path, etag: res.headers.get('etag') ?? '', body: await res.text() });
  }
  return out;
}

/** Near the peak the generator is busy: it gets a core of its own (see `cpus.ts`). */
const CORES: Cores = 'separate';

export async function measureHttpResolve(tree: Tree, opts: HttpOptions): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-bench-http-'));
  await writeTree(tree, join(dir, 'tree'));
  const railyard = await startServe(join(dir, 'tree'));
  try {
    await waitReady(railyard.url);
    await placeServer(CORES, railyard.child.pid);
    const known = await answers(railyard.url, tree);
    const sizes = known.map((a) => a.body.length).sort((a, b) => a - b);
    const typical = known.find((a) => a.body.length === median(sizes)) as Answer;
    const baseline = await startBaseline(typical.body, dir);
    try {
      await placeServer(CORES, baseline.child.pid);
      const spec = (url: string, requests: readonly LoadRequest[]): LoadSpec => ({
        url,
        requests,
        headers: AUTH_HEADERS,
        connections: opts.connections,
        durationSeconds: opts.durationSeconds,
      });
      const plain = known.map((a) => ({ path: a.path }));
      const conditional = (etagOf: (a: Answer) => string): LoadRequest[] =>
        known.map((a) => ({ path: a.path, headers: { ...AUTH_HEADERS, 'if-none-match': etagOf(a) } }));
      const baselineEtag = (await fetch(baseline.url, { headers: AUTH_HEADERS })).headers.get('etag') ?? '';

      const peak = { bare: [] as number[], railyard: [] as number[], ratio: [] as number[] };
      const revalidate = { bare: [] as number[], railyard: [] as number[], ratio: [] as number[] };
      const onBare = <T>(measure: () => Promise<T>): Promise<T> => alone([railyard], measure);
      const onRailyard = <T>(measure: () => Promise<T>): Promise<T> => alone([baseline], measure);
      for (let r = 0; r < opts.runs; r++) {
        const bare = (await onBare(() => runLoad(spec(baseline.url, plain), CORES))).requestsPerSecond;
        const ours = (await onRailyard(() => runLoad(spec(railyard.url, plain), CORES))).requestsPerSecond;
        peak.bare.push(bare);
        peak.railyard.push(ours);
        peak.ratio.push(ours / bare);
        const bare304 = await onBare(() =>
          runLoad(
            spec(
              baseline.url,
              conditional(() => baselineEtag),
            ),
            CORES,
          ),
        );
        const ours304 = await onRailyard(() =>
          runLoad(
            spec(
              railyard.url,
              conditional((a) => a.etag),
            ),
            CORES,
          ),
        );
        if (ours304.ok > 0 || bare304.ok > 0) throw new Error('If-None-Match requests were answered 200');
        revalidate.bare.push(bare304.requestsPerSecond);
        revalidate.railyard.push(ours304.requestsPerSecond);
        revalidate.ratio.push(ours304.requestsPerSecond / bare304.requestsPerSecond);
      }
      const halfPeak = Math.round(median(peak.railyard) / 2);
      const paced = (url: string): PacedSpec => ({
        url,
        method: 'GET',
        paths: known.map((a) => a.path),
        headers: AUTH_HEADERS,
        requestsPerSecond: halfPeak,
        connections: opts.connections,
        warmupSeconds: 1,
        durationSeconds: opts.durationSeconds,
      });
      const latency = { bare: [] as PacedResult[], railyard: [] as PacedResult[] };
      for (let r = 0; r < opts.runs; r++) {
        latency.bare.push(await onBare(() => runPacedLoad(paced(baseline.url), CORES)));
        latency.railyard.push(await onRailyard(() => runPacedLoad(paced(railyard.url), CORES)));
      }
      const size = tree.policies.toLocaleString('en');
      const paceOf = {
        rate: halfPeak,
        connections: opts.connections,
        cores: CORES,
        durationSeconds: opts.durationSeconds,
      };
      const how = `${opts.runs} runs × ${opts.durationSeconds} s, ${opts.connections} connections, ${known.length} distinct contexts (team/key/model/tags) cycled per connection; ${placement(CORES)}; the other server paused`;
      return [
        {
          measurement: 'bare node:http baseline (bearer check, constant JSON)',
          value: median(peak.bare),
          unit: 'req/s',
          detail: `${how}; body ${typical.body.length} bytes (a median-size /v1/resolve answer)`,
        },
        {
          measurement: `GET /v1/resolve, ${size} policies`,
          value: median(peak.railyard),
          unit: 'req/s',
          detail: how,
        },
        {
          measurement: `GET /v1/resolve throughput, ${size} policies ÷ bare server`,
          value: median(peak.ratio),
          unit: '×',
          target: { op: '>=', limit: 0.6 },
          detail: 'median of the per-run ratios',
        },
        ...latencyRows(`GET /v1/resolve, ${size} policies`, latency.railyard, paceOf, 2),
        ...latencyRows('bare node:http baseline', latency.bare, paceOf),
        {
          measurement: 'If-None-Match → 304, bare server',
          value: median(revalidate.bare),
          unit: 'req/s',
          detail: how,
        },
        {
          measurement: `If-None-Match → 304, GET /v1/resolve, ${size} policies`,
          value: median(revalidate.railyard),
          unit: 'req/s',
          detail: how,
        },
        {
          measurement: 'If-None-Match → 304 throughput ÷ bare server',
          value: median(revalidate.ratio),
          unit: '×',
          target: { op: '>=', limit: 0.8 },
          detail: 'median of the per-run ratios; both answer 304 to a matching ETag',
        },
      ];
    } finally {
      await baseline.stop();
    }
  } finally {
    await railyard.stop();
  }
}

/**
 * p50 and p99 of paced runs (the median over runs of each run's percentile); a `p99Limit` makes
 * the p99 row a target.
 */
export function latencyRows(
  subject: string,
  runs: readonly PacedResult[],
  {
    rate,
    connections,
    cores,
    durationSeconds,
  }: {
    readonly rate: number;
    readonly connections: number;
    readonly cores: Cores;
    readonly durationSeconds: number;
  },
  p99Limit?: number,
): Row[] {
  const achieved = median(runs.map((r) => r.requestsPerSecond));
  const generatorCpu = Math.round(100 * median(runs.map((r) => r.generatorCpu)));
  const corrected = (100 * median(runs.map((r) => r.correctedShare))).toFixed(2);
  const how = `${runs.length} runs × ${durationSeconds} s (after 1 s of warm-up) at ${rate.toLocaleString('en')} req/s from h2load: ${connections} keep-alive connections opened 1 ms apart, each sending on its own timer with one request in flight; ${Math.round(achieved).toLocaleString('en')} req/s achieved, the generator using ${generatorCpu}% of a core; latency from writing the request to the end of the response, in an HdrHistogram corrected for coordinated omission (${corrected}% of samples added back); ${placement(cores)}; the other server paused`;
  const at = `at ${rate.toLocaleString('en')} req/s`;
  return [
    {
      measurement: `${subject}: p50 latency ${at}`,
      value: median(runs.map((r) => r.latencyP50Ms)),
      unit: 'ms',
      detail: how,
    },
    {
      measurement: `${subject}: p99 latency ${at}`,
      value: median(runs.map((r) => r.latencyP99Ms)),
      unit: 'ms',
      ...(p99Limit === undefined ? {} : { target: { op: '<=', limit: p99Limit } as const }),
      detail: `${how}; max ${median(runs.map((r) => r.latencyMaxMs)).toFixed(1)} ms`,
    },
  ];
}
