/**
 * The paced (open-loop) load generator's own process: `node bench/paced-load-worker.ts '<PacedSpec
 * JSON>'` runs loadtest once at a constant request rate and prints one `PacedResult` JSON line.
 * Spawned by `load.ts`; not meant to be run by hand.
 *
 * Pacing is loadtest's: with `requestsPerSecond`, one timer fires every 1/rate seconds (catching up
 * on its own drift) and each tick sends one request on a free client, opening a new keep-alive
 * connection only when every client is waiting for an answer. Requests go out evenly spread
 * whatever the server does, so a slow answer cannot hold back the next request. Latency is timed
 * here, per request, from just before the request is written until its response has ended, to
 * the microsecond (loadtest's own histogram rounds down to whole milliseconds); the first
 * `warmupSeconds` are sent but not counted (connections opening, JIT).
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { LoadRequest, PacedResult, PacedSpec } from './load.ts';
import { percentile } from './stats.ts';

type RequestFn = (params: RequestOptions, callback: (res: IncomingMessage) => void) => ClientRequest;
type Generator = (
  options: unknown,
  params: RequestOptions,
  request: RequestFn,
  callback: (res: IncomingMessage) => void,
) => ClientRequest;
type LoadtestResult = { readonly clients: number };
type Loadtest = { loadTest(options: Record<string, unknown>): Promise<LoadtestResult> };

const spec = JSON.parse(process.argv[2] ?? '{}') as PacedSpec;
const { loadTest } = (await import('loadtest' as string)) as Loadtest;

const latenciesMs: number[] = [];
let sent = 0;
let ok = 0;
let failedToSend = 0;
let countFrom = 0;

// Built once: the generator shares a core with nothing but its own work, which is all overhead.
const bodyHeaders =
  spec.body === undefined
    ? {}
    : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(spec.body) };
const requests = spec.requests.map((r: LoadRequest) => ({
  path: r.path,
  headers: { ...(r.headers ?? spec.headers), ...bodyHeaders },
}));

const generator: Generator = (_options, params, request, callback) => {
  const next = requests[sent++ % requests.length] as (typeof requests)[number];
  const started = performance.now();
  const req = request({ ...params, path: next.path, headers: next.headers }, (res) => {
    callback(res);
    res.once('end', () => {
      if (started < countFrom) return;
      latenciesMs.push(performance.now() - started);
      if (res.statusCode === 200) ok++;
    });
  });
  req.once('error', () => {
    failedToSend++;
  });
  return req;
};

const startedAt = performance.now();
countFrom = startedAt + spec.warmupSeconds * 1000;
const result = await loadTest({
  url: `${spec.url}${spec.requests[0]?.path ?? '/'}`,
  method: spec.method,
  // loadtest writes the body of every request itself.
  ...(spec.body === undefined ? {} : { body: spec.body, contentType: 'application/json' }),
  requestsPerSecond: spec.requestsPerSecond,
  maxSeconds: spec.warmupSeconds + spec.durationSeconds,
  agentKeepAlive: true,
  quiet: true,
  requestGenerator: generator,
});
const out: PacedResult = {
  requestsPerSecond: latenciesMs.length / spec.durationSeconds,
  latencyP50Ms: percentile(latenciesMs, 50),
  latencyP99Ms: percentile(latenciesMs, 99),
  latencyMaxMs: percentile(latenciesMs, 100),
  connections: result.clients,
  generatorCpu: cpuSeconds(process.cpuUsage()) / ((performance.now() - startedAt) / 1000),
  ok,
  failed: latenciesMs.length - ok + failedToSend,
};
process.stdout.write(`${JSON.stringify(out)}\n`);

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}
