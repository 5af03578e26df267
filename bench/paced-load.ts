/**
 * Load at a constant rate from h2load (nghttp2's load generator, in C), in its own process.
 *
 * Why h2load and not a Node generator: at 35,000 req/s loadtest (Node's HTTP client, about 28 µs
 * of CPU per request) filled its core, fell short of the rate, and its own queueing became most
 * of the p99 it reported, for the bare server and Railyard alike. h2load does the same work on
 * under half a core.
 *
 * How it paces: every connection sends `rate / connections` requests a second on its own timer,
 * one request in flight at a time. Connections open 1 ms apart so their timers interleave; opened
 * together they fire in the same loop turn and the server sees bursts of `connections` requests.
 * h2load times each request from when it is written to the end of its response and logs it
 * (`--log-file`); the first `warmupSeconds` of the log are dropped (connections opening, JIT).
 *
 * A connection whose answer comes late sends its next request late, and h2load times that request
 * from when it left, not from when it was due: a stall would hide most of the requests it delayed
 * (coordinated omission). So latencies go into an HdrHistogram with the connection's interval as
 * the expected interval, which adds back the requests a slow answer held up, as wrk2 does.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import { type Cores, generatorCommand } from './cpus.ts';

const execFileAsync = promisify(execFile);

export type PacedSpec = {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** Paths sent in turn by every connection. Each must be answered 200. */
  readonly paths: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  /** A JSON body sent with every request. */
  readonly body?: string;
  readonly requestsPerSecond: number;
  readonly connections: number;
  /** Sent first and not counted. */
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
};

export type PacedResult = {
  /** Requests counted per second of the measured part: about `requestsPerSecond` when the generator kept pace. */
  readonly requestsPerSecond: number;
  /** From writing the request to the end of its response, over the measured part, corrected for coordinated omission. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** Requests added back by the coordinated-omission correction, as a share of those measured. */
  readonly correctedShare: number;
  /** The generator's CPU time over the run, in cores: near 1, it was the bottleneck. */
  readonly generatorCpu: number;
};

const INSTALL_HINT =
  'the paced latency measurements need h2load on the PATH: install nghttp2-client (Debian/Ubuntu: apt-get install nghttp2-client; macOS: brew install nghttp2)';

/** Fails early, before any server starts, when h2load is missing. */
export function requireH2load(): void {
  if (spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error(INSTALL_HINT);
}

/** One paced run; rejects when h2load fails or any request is not answered 200. */
export async function runPacedLoad(spec: PacedSpec, cores: Cores): Promise<PacedResult> {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-bench-h2load-'));
  try {
    const files = { uris: join(dir, 'uris'), body: join(dir, 'body.json'), log: join(dir, 'log.tsv') };
    await writeFile(files.uris, spec.paths.map((p) => `${spec.url}${p}\n`).join(''));
    const total = Math.round(spec.requestsPerSecond * (spec.warmupSeconds + spec.durationSeconds));
    const args = [
      '--h1',
      `--clients=${spec.connections}`,
      '--max-concurrent-streams=1',
      `--rps=${spec.requestsPerSecond / spec.connections}`,
      '--rate=1',
      '--rate-period=1ms',
      `--requests=${total}`,
      `--input-file=${files.uris}`,
      `--log-file=${files.log}`,
      ...Object.entries(spec.headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]),
    ];
    if (spec.method === 'POST') {
      if (spec.body === undefined) throw new Error('a paced POST needs a body');
      await writeFile(files.body, spec.body);
      args.push(`--data=${files.body}`, '--header', 'content-type: application/json');
    }
    const { cpuSeconds, wallSeconds } = await runTimed(generatorCommand(cores, 'h2load', args));
    const rows = parseLog(await readFile(files.log, 'utf8'));
    const answered = rows.filter((r) => r.status === 200).length;
    if (answered !== total)
      throw new Error(`${total - answered} of ${total} paced requests to ${spec.url} were not answered 200`);
    return { ...summarize(rows, spec), generatorCpu: cpuSeconds / wallSeconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Drops the warm-up, then reads the latencies through an HdrHistogram corrected for coordinated omission. */
export function summarize(
  rows: readonly LogRow[],
  spec: Pick<PacedSpec, 'requestsPerSecond' | 'connections' | 'warmupSeconds'>,
): Omit<PacedResult, 'generatorCpu'> {
  const from = rows.reduce((first, r) => Math.min(first, r.startUs), Infinity) + spec.warmupSeconds * 1e6;
  const measured = rows.filter((r) => r.startUs >= from);
  const intervalUs = (1e6 * spec.connections) / spec.requestsPerSecond;
  const histogram = hdr.build({ numberOfSignificantValueDigits: 3, autoResize: true });
  for (const r of measured) histogram.recordValueWithExpectedInterval(r.latencyUs, intervalUs);
  const lastStart = measured.reduce((last, r) => Math.max(last, r.startUs), from);
  return {
    requestsPerSecond: measured.length / ((lastStart - from) / 1e6),
    latencyP50Ms: histogram.getValueAtPercentile(50) / 1000,
    latencyP99Ms: histogram.getValueAtPercentile(99) / 1000,
    latencyMaxMs: histogram.maxValue / 1000,
    correctedShare: histogram.totalCount / measured.length - 1,
  };
}

export type LogRow = { readonly startUs: number; readonly status: number; readonly latencyUs: number };

/** h2load's `--log-file`: per request, tab-separated, start (µs since the epoch), status, µs to the end of the response. */
export function parseLog(text: string): LogRow[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [startUs, status, latencyUs] = line.split('\t').map(Number);
      if (startUs === undefined || status === undefined || latencyUs === undefined || Number.isNaN(latencyUs))
        throw new Error(`unexpected h2load log line: ${line}`);
      return { startUs, status, latencyUs };
    });
}

/**
 * Runs `command` under `sh`, whose `times` builtin then prints the CPU time its children used:
 * Node cannot read a finished child's resource usage.
 */
async function runTimed([command, args]: [string, string[]]): Promise<{
  cpuSeconds: number;
  wallSeconds: number;
}> {
  const script = '"$@" >/dev/null; status=$?; times; exit $status';
  const started = performance.now();
  const { stdout } = await execFileAsync('sh', ['-c', script, 'sh', command, ...args]).catch(
    (error: { code?: number; stderr?: string }) => {
      throw new Error(error.code === 127 ? INSTALL_HINT : `h2load exited ${error.code}: ${error.stderr}`);
    },
  );
  return { cpuSeconds: childrenCpuSeconds(stdout), wallSeconds: (performance.now() - started) / 1000 };
}

/** The second line of `times` ("0m1.230s 0m0.410s": user, system) is the children's. */
export function childrenCpuSeconds(timesOutput: string): number {
  const children = timesOutput.trim().split('\n').at(-1) ?? '';
  const spans = [...children.matchAll(/(\d+)m([\d.]+)s/g)];
  if (spans.length !== 2) throw new Error(`unexpected output of sh's times: ${timesOutput}`);
  return spans.reduce((sum, [, minutes, seconds]) => sum + Number(minutes) * 60 + Number(seconds), 0);
}
