/**
 * Enforcement under heavy legitimate bodies, on the real `railyard serve` over `examples/` (worker
 * pool and body limit at their defaults):
 * - the paced 2 KB pre-call of `enforce.ts` while 10 clients keep POSTing 1 MiB LiteLLM calls
 *   (a 500,000-character prompt, sent as `texts` and again in `structured_messages`, each client
 *   sending its next as soon as the last is answered), beside the bare baseline under the same
 *   background load; every run measures both, back to back, the other server paused;
 * - the prompt of 100,000 spaces that froze the server before: its decision time, sequentially.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LITELLM_PATH } from '../src/http/index.ts';
import { benchmarkCall } from './benchmark-call.ts';
import type { Cores } from './cpus.ts';
import { pacedPost } from './enforce.ts';
import { latencyRows } from './http-resolve.ts';
import { type PacedResult, runPacedLoad } from './paced-load.ts';
import type { Row } from './report.ts';
import { AUTH_HEADERS, alone, startBaseline, startServe, waitReady } from './servers.ts';
import { median } from './stats.ts';

export type EnforceHeavyOptions = {
  readonly runs: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly connections: number;
  /** Sequential calls of the 100,000-space prompt (after 3 not counted). */
  readonly spaceCalls: number;
};

const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const CORES: Cores = 'shared';
const HEAVY_CLIENTS = 10;
/** The prompt of a heavy call: twice in the body, which is then just under the 1 MiB body limit. */
const HEAVY_PROMPT_BYTES = 500_000;

/** `clients` loops POSTing `body` to `url` until `stop` aborts; counts the answers by status. */
function backgroundLoad(url: string, body: string, clients: number, stop: AbortSignal) {
  const statuses = new Map<number, number>();
  const loops = Array.from({ length: clients }, async () => {
    while (!stop.aborted) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
        body,
        signal: stop,
      }).catch(() => undefined);
      if (!res) continue;
      await res.arrayBuffer().catch(() => undefined);
      if (!stop.aborted) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  });
  return { statuses, done: Promise.all(loops) };
}

export async function measureEnforceHeavy(opts: EnforceHeavyOptions): Promise<Row[]> {
  const small = JSON.stringify(benchmarkCall().litellm);
  const heavy = JSON.stringify(benchmarkCall({ promptBytes: HEAVY_PROMPT_BYTES }).litellm);
  const railyard = await startServe(EXAMPLES);
  try {
    await waitReady(railyard.url);
    const answer = await (
      await fetch(`${railyard.url}${LITELLM_PATH}`, {
        method: 'POST',
        headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
        body: small,
      })
    ).text();
    const baseline = await startBaseline(answer, await mkdtemp(join(tmpdir(), 'railyard-bench-heavy-')));
    const heavyCounts = new Map<number, number>();
    try {
      const paced = pacedPost(opts, small);
      const underLoad = async (url: string, path: string): Promise<PacedResult> => {
        const stop = new AbortController();
        const load = backgroundLoad(`${url}${path}`, heavy, HEAVY_CLIENTS, stop.signal);
        try {
          return await runPacedLoad(paced(url, path), CORES);
        } finally {
          stop.abort();
          await load.done;
          if (url === railyard.url)
            for (const [s, n] of load.statuses) heavyCounts.set(s, (heavyCounts.get(s) ?? 0) + n);
        }
      };
      const latency = { bare: [] as PacedResult[], railyard: [] as PacedResult[] };
      for (let r = 0; r < opts.runs; r++) {
        latency.bare.push(await alone([railyard], () => underLoad(baseline.url, '/')));
        latency.railyard.push(await alone([baseline], () => underLoad(railyard.url, LITELLM_PATH)));
      }
      const pace = {
        rate: opts.requestsPerSecond,
        connections: opts.connections,
        cores: CORES,
        durationSeconds: opts.durationSeconds,
      };
      const heavyAnswers = [...heavyCounts].map(([s, n]) => `${n} × HTTP ${s}`).join(', ');
      const during = `while ${HEAVY_CLIENTS} clients keep POSTing 1 MiB calls`;
      const rows = [
        ...latencyRows(`pre-call decision, 2 KB prompt, ${during}`, latency.railyard, pace, 10).map(
          (row) => ({
            ...row,
            detail: `${row.detail}; the ${heavy.length}-byte calls were answered ${heavyAnswers}`,
          }),
        ),
        ...latencyRows(`bare node:http baseline, same POST, ${during}`, latency.bare, pace),
      ];
      return [...rows, await measureSpaces(railyard.url, opts.spaceCalls, railyard.logs)];
    } finally {
      await baseline.stop();
    }
  } finally {
    await railyard.stop();
  }
}

/** The decision time of the 100,000-space prompt: median over sequential calls, end to end. */
async function measureSpaces(
  url: string,
  calls: number,
  logs: readonly Record<string, unknown>[],
): Promise<Row> {
  const body = JSON.stringify({
    ...benchmarkCall().litellm,
    texts: [' '.repeat(100_000)],
    structured_messages: null,
  });
  const times: number[] = [];
  const verdicts = new Set<string>();
  const from = logs.length;
  for (let i = 0; i < calls + 3; i++) {
    const started = performance.now();
    const res = await fetch(`${url}${LITELLM_PATH}`, {
      method: 'POST',
      headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    if (i >= 3) times.push(performance.now() - started);
    verdicts.add(`${res.status} ${text.slice(0, 40)}`);
  }
  const own = logs
    .slice(from)
    .filter((l) => l.msg === 'decision')
    .map((l) => Number(l.totalMs));
  return {
    measurement: 'pre-call decision, 100,000-space prompt (froze the server for 17–22 s before)',
    value: median(times),
    unit: 'ms',
    target: { op: '<=', limit: 50 },
    detail: `median of ${calls} sequential LiteLLM calls (after 3 not counted), team healthcare-team, from sending the request to the end of the answer; slowest ${Math.max(...times).toFixed(1)} ms; the decision itself (its totalMs) ${median(own).toFixed(1)} ms median; answers: ${[...verdicts].join(' | ')}`,
  };
}
