/**
 * The load generator's own process: `node bench/load-worker.ts '<LoadSpec JSON>'` runs autocannon
 * once and prints one `LoadResult` JSON line, so the generator never shares an event loop with the
 * server it measures. Spawned by `load.ts`; not meant to be run by hand.
 */
import { createRequire } from 'node:module';
import type { LoadResult, LoadSpec } from './load.ts';

type Histogram = { readonly average: number; readonly p50: number; readonly p99: number };
type AutocannonResult = {
  readonly requests: Histogram;
  readonly latency: Histogram;
  readonly errors: number;
  readonly timeouts: number;
  readonly '2xx': number;
  readonly '3xx': number;
  readonly non2xx: number;
};
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  headers: spec.headers,
  requests: spec.requests.map((r) => ({ method: 'GET', ...r })),
  ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
});
const out: LoadResult = {
  requestsPerSecond: result.requests.average,
  latencyP50Ms: result.latency.p50,
  latencyP99Ms: result.latency.p99,
  ok: result['2xx'],
  notModified: result['3xx'],
  failed: result.errors + result.timeouts + result.non2xx - result['3xx'],
};
process.stdout.write(`${JSON.stringify(out)}\n`);
