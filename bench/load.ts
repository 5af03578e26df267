/**
 * HTTP load, each run in its own child process so the generator never shares an event loop with
 * the server it measures: autocannon for peak throughput (`load-worker.ts`, closed loop: every
 * connection sends its next request as soon as the last one is answered) and loadtest for latency
 * at a constant rate (`paced-load-worker.ts`, open loop: requests evenly spread in time). The
 * caller says where the generator runs (`cpus.ts`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Cores, generatorCommand } from './cpus.ts';

export type LoadRequest = { readonly path: string; readonly headers?: Readonly<Record<string, string>> };

export type LoadSpec = {
  readonly url: string;
  /** Requests each connection cycles through, in order; their headers replace `headers`. */
  readonly requests: readonly LoadRequest[];
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationSeconds: number;
};

export type LoadResult = {
  readonly requestsPerSecond: number;
  readonly ok: number;
  readonly notModified: number;
  /** Connection errors, timeouts and statuses other than 2xx and 3xx. */
  readonly failed: number;
};

export type PacedSpec = {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** Requests sent in turn, in order; their headers replace `headers`. Each must be answered 200. */
  readonly requests: readonly LoadRequest[];
  readonly headers: Readonly<Record<string, string>>;
  /** A JSON body sent with every request. */
  readonly body?: string;
  readonly requestsPerSecond: number;
  /** Sent first and not counted. */
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
};

export type PacedResult = {
  /** Answers counted per second of the measured part: about `requestsPerSecond` when the generator kept pace. */
  readonly requestsPerSecond: number;
  /** From writing the request to the end of its response, over the measured part. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** Keep-alive connections the generator opened. */
  readonly connections: number;
  /**
   * The generator's own CPU time over the run, in cores: near 1, it was the bottleneck, and its
   * own queueing shows in the latencies.
   */
  readonly generatorCpu: number;
  readonly ok: number;
  /** Connection errors and answers other than 200. */
  readonly failed: number;
};

/** Runs one closed-loop load (autocannon); rejects when the worker fails or any request failed. */
export const runLoad = (spec: LoadSpec, cores: Cores): Promise<LoadResult> =>
  runWorker('load-worker.ts', spec, cores);

/** Runs one open-loop load at a constant rate (loadtest); rejects when the worker fails or any request failed. */
export const runPacedLoad = (spec: PacedSpec, cores: Cores): Promise<PacedResult> =>
  runWorker('paced-load-worker.ts', spec, cores);

function runWorker<T extends { readonly failed: number }>(
  file: string,
  spec: { readonly url: string },
  cores: Cores,
): Promise<T> {
  return new Promise((ok, fail) => {
    const [command, args] = generatorCommand(cores, process.execPath, [
      '--no-deprecation',
      join(import.meta.dirname, file),
      JSON.stringify(spec),
    ]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += String(c);
    });
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code !== 0) return fail(new Error(`${file} exited ${code}: ${stderr}`));
      const result = JSON.parse(stdout) as T;
      if (result.failed > 0) return fail(new Error(`${result.failed} requests failed against ${spec.url}`));
      ok(result);
    });
  });
}
