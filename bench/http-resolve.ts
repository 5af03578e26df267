/**
 * `GET /v1/resolve` on the real `railyard serve` against the bare baseline, both in child
 * processes, load from autocannon in a third. Every run measures the baseline and Railyard back to
 * back, so each ratio compares two figures taken under the same conditions.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextQuery, type Tree, writeTree } from './generate-tree.ts';
import { type LoadRequest, type LoadSpec, runLoad } from './load.ts';
import type { Row } from './report.ts';
import { AUTH_HEADERS, startBaseline, startServe, waitReady } from './servers.ts';
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

export async function measureHttpResolve(tree: Tree, opts: HttpOptions): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-bench-http-'));
  await writeTree(tree, join(dir, 'tree'));
  const railyard = await startServe(join(dir, 'tree'));
  try {
    await waitReady(railyard.url);
    const known = await answers(railyard.url, tree);
    const sizes = known.map((a) => a.body.length).sort((a, b) => a - b);
    const typical = known.find((a) => a.body.length === median(sizes)) as Answer;
    const baseline = await startBaseline(typical.body, dir);
    try {
      const spec = (url: string, requests: readonly LoadRequest[], overallRate?: number): LoadSpec => ({
        url,
        requests,
        headers: AUTH_HEADERS,
        connections: opts.connections,
        durationSeconds: opts.durationSeconds,
        ...(overallRate === undefined ? {} : { overallRate }),
      });
      const plain = known.map((a) => ({ path: a.path }));
      const conditional = (etagOf: (a: Answer) => string): LoadRequest[] =>
        known.map((a) => ({ path: a.path, headers: { ...AUTH_HEADERS, 'if-none-match': etagOf(a) } }));
      const baselineEtag = (await fetch(baseline.url, { headers: AUTH_HEADERS })).headers.get('etag') ?? '';

      const peak = { bare: [] as number[], railyard: [] as number[], ratio: [] as number[] };
      const revalidate = { bare: [] as number[], railyard: [] as number[], ratio: [] as number[] };
      for (let r = 0; r < opts.runs; r++) {
        const bare = (await runLoad(spec(baseline.url, plain))).requestsPerSecond;
        const ours = (await runLoad(spec(railyard.url, plain))).requestsPerSecond;
        peak.bare.push(bare);
        peak.railyard.push(ours);
        peak.ratio.push(ours / bare);
        const bare304 = await runLoad(
          spec(
            baseline.url,
            conditional(() => baselineEtag),
          ),
        );
        const ours304 = await runLoad(
          spec(
            railyard.url,
            conditional((a) => a.etag),
          ),
        );
        if (ours304.ok > 0 || bare304.ok > 0) throw new Error('If-None-Match requests were answered 200');
        revalidate.bare.push(bare304.requestsPerSecond);
        revalidate.railyard.push(ours304.requestsPerSecond);
        revalidate.ratio.push(ours304.requestsPerSecond / bare304.requestsPerSecond);
      }
      const halfPeak = Math.round(median(peak.railyard) / 2);
      const p99s: number[] = [];
      const bareP99s: number[] = [];
      for (let r = 0; r < opts.runs; r++) {
        bareP99s.push((await runLoad(spec(baseline.url, plain, halfPeak))).latencyP99Ms);
        p99s.push((await runLoad(spec(railyard.url, plain, halfPeak))).latencyP99Ms);
      }

      const size = tree.policies.toLocaleString('en');
      const how = `${opts.runs} runs × ${opts.durationSeconds} s, ${opts.connections} connections, ${known.length} distinct contexts (team/key/model/tags) cycled per connection`;
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
        {
          measurement: `GET /v1/resolve p99 latency at half the peak (${halfPeak.toLocaleString('en')} req/s)`,
          value: median(p99s),
          unit: 'ms',
          target: { op: '<=', limit: 2 },
          detail: `${how}; median of the runs' p99, corrected for coordinated omission`,
        },
        {
          measurement: `bare server p99 latency at the same rate (${halfPeak.toLocaleString('en')} req/s)`,
          value: median(bareP99s),
          unit: 'ms',
          detail: `${how}; the same load against the baseline, for scale`,
        },
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
