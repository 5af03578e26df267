/** HTTP load from autocannon, run in its own child process (`load-worker.ts`). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export type LoadRequest = { readonly path: string; readonly headers?: Readonly<Record<string, string>> };

export type LoadSpec = {
  readonly url: string;
  /** Requests each connection cycles through, in order; their headers replace `headers`. */
  readonly requests: readonly LoadRequest[];
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests per second over all connections; unset means as fast as the server answers. */
  readonly overallRate?: number;
};

export type LoadResult = {
  readonly requestsPerSecond: number;
  /** Corrected for coordinated omission when `overallRate` is set (autocannon's default). */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly ok: number;
  readonly notModified: number;
  /** Connection errors, timeouts and statuses other than 2xx and 3xx. */
  readonly failed: number;
};

const WORKER = join(import.meta.dirname, 'load-worker.ts');

/** Runs one load and returns its summary; rejects when the worker fails or any request failed. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
      if (code !== 0) return fail(new Error(`load worker exited ${code}: ${stderr}`));
      const result = JSON.parse(stdout) as LoadResult;
      if (result.failed > 0) return fail(new Error(`${result.failed} requests failed against ${spec.url}`));
      ok(result);
    });
  });
}
