/**
 * Peak HTTP load: autocannon in its own child process (`load-worker.ts`), so the generator never
 * shares an event loop with the server it measures; closed loop: every connection sends its next
 * request as soon as the last one is answered. The caller says where the generator runs
 * (`cpus.ts`). Load at a constant rate is `paced-load.ts`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Cores, generatorCommand } from './cpus.ts';

const execFileAsync = promisify(execFile);

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

/** Runs one closed-loop load (autocannon); rejects when the worker fails or any request failed. */
export async function runLoad(spec: LoadSpec, cores: Cores): Promise<LoadResult> {
  const worker = 'load-worker.ts';
  const [command, args] = generatorCommand(cores, process.execPath, [
    '--no-deprecation',
    join(import.meta.dirname, worker),
    JSON.stringify(spec),
  ]);
  const { stdout } = await execFileAsync(command, args).catch((error: { code?: number; stderr?: string }) => {
    throw new Error(`${worker} exited ${error.code}: ${error.stderr}`);
  });
  const result = JSON.parse(stdout) as LoadResult;
  if (result.failed > 0) throw new Error(`${result.failed} requests failed against ${spec.url}`);
  return result;
}
