/**
 * The pre-call decision on the real `railyard serve` over `examples/`: LiteLLM's Generic Guardrail
 * API called with `benchmarkCall()` (team healthcare-team, a 2 KB prompt holding an e-mail address;
 * its pipeline masks PII, then checks for prompt injection, and the other matched policies add
 * their own guardrails), at a constant rate (`paced-load.ts`), beside the bare baseline answering a
 * constant body of the same size at the same rate. Every run measures both, back to back, the
 * other one paused.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LITELLM_PATH } from '../src/http/index.ts';
import { benchmarkCall } from './benchmark-call.ts';
import type { Cores } from './cpus.ts';
import { latencyRows } from './http-resolve.ts';
import { type PacedResult, type PacedSpec, runPacedLoad } from './paced-load.ts';
import type { Row } from './report.ts';
import { AUTH_HEADERS, alone, startBaseline, startServe, waitReady } from './servers.ts';

export type EnforceOptions = {
  readonly runs: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly connections: number;
};

/** The paced POST of `body` to `path` of `url`, as every enforcement row sends it (after 1 s of warm-up). */
export const pacedPost =
  (opts: Omit<EnforceOptions, 'runs'>, body: string) =>
  (url: string, path: string): PacedSpec => ({
    url,
    method: 'POST',
    paths: [path],
    headers: AUTH_HEADERS,
    body,
    requestsPerSecond: opts.requestsPerSecond,
    connections: opts.connections,
    warmupSeconds: 1,
    durationSeconds: opts.durationSeconds,
  });

const EXAMPLES = join(import.meta.dirname, '..', 'examples');
/** 500 req/s keeps the generator mostly idle: sharing the cores gives the steadier figure (see `cpus.ts`). */
const CORES: Cores = 'shared';

export async function measureEnforce(opts: EnforceOptions): Promise<Row[]> {
  const body = JSON.stringify(benchmarkCall().litellm);
  const railyard = await startServe(EXAMPLES);
  try {
    await waitReady(railyard.url);
    const first = await fetch(`${railyard.url}${LITELLM_PATH}`, {
      method: 'POST',
      headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
      body,
    });
    const answer = await first.text();
    if (!answer.includes('"GUARDRAIL_INTERVENED"') || !answer.includes('[EMAIL]'))
      throw new Error(`the benchmark call was not masked: ${first.status} ${answer.slice(0, 200)}`);
    const baseline = await startBaseline(answer, await mkdtemp(join(tmpdir(), 'railyard-bench-enforce-')));
    try {
      const paced = pacedPost(opts, body);
      const latency = { bare: [] as PacedResult[], railyard: [] as PacedResult[] };
      for (let r = 0; r < opts.runs; r++) {
        latency.bare.push(await alone([railyard], () => runPacedLoad(paced(baseline.url, '/'), CORES)));
        latency.railyard.push(
          await alone([baseline], () => runPacedLoad(paced(railyard.url, LITELLM_PATH), CORES)),
        );
      }
      const paceOf = {
        rate: opts.requestsPerSecond,
        connections: opts.connections,
        cores: CORES,
        durationSeconds: opts.durationSeconds,
      };
      const decisions = railyard.logs.filter((l) => l.msg === 'decision');
      if (decisions.some((l) => l.verdict !== 'mask')) throw new Error('a benchmark decision was not a mask');
      return [
        ...latencyRows(
          'pre-call decision, 2 KB prompt, PII + injection pipeline (POST /litellm/…)',
          latency.railyard,
          paceOf,
          5,
        ),
        ...latencyRows(
          `bare node:http baseline, same POST, constant ${answer.length}-byte answer`,
          latency.bare,
          paceOf,
        ),
      ];
    } finally {
      await baseline.stop();
    }
  } finally {
    await railyard.stop();
  }
}
