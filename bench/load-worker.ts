/**
 * The peak-throughput generator's own process: `node bench/load-worker.ts '<LoadSpec JSON>'` runs
 * autocannon once (closed loop, as fast as the server answers) and prints one `LoadResult` JSON
 * line. Spawned by `load.ts`; not meant to be run by hand. Not for latency at a given rate:
 * autocannon's rate limit lets each connection send its whole per-second quota at the start of
 * every second and then pause, so the latencies it reports are those of bursts.
 */
import { createRequire } from 'node:module';
import type { LoadResult, LoadSpec } from './load.ts';

type AutocannonResult = {
  readonly requests: { readonly average: number };
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
});
const out: LoadResult = {
  requestsPerSecond: result.requests.average,
  ok: result['2xx'],
  notModified: result['3xx'],
  failed: result.errors + result.timeouts + result.non2xx - result['3xx'],
};
process.stdout.write(`${JSON.stringify(out)}\n`);
