/**
 * Enforcement with a shadow running: the pre-call decision of `enforce.ts` (LiteLLM's Generic
 * Guardrail API, the 2 KB healthcare prompt) on two real `railyard serve` processes over
 * `examples/` with the same draft of healthcare-compliance (v2: one more guardrail), in shadow at
 * a sample rate of 1 on one of them, so every call there is decided twice; and the bare baseline
 * answering a constant body of the same size. Each run measures all three, one at a time, the
 * others paused. The target is on the p99 with the shadow over the p99 without, run by run: within
 * 10%. The p99 of one 10 s window moves by half from one window to the next on this machine, so a
 * full run takes seven pairs and the row is the median of their ratios.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHADOW_DISPATCH_DEFAULTS } from '../src/enforce/index.ts';
import { LITELLM_PATH } from '../src/http/index.ts';
import { benchmarkCall } from './benchmark-call.ts';
import type { Cores } from './cpus.ts';
import { type EnforceOptions, pacedPost } from './enforce.ts';
import { latencyRows } from './http-resolve.ts';
import { type PacedResult, runPacedLoad } from './paced-load.ts';
import type { Row } from './report.ts';
import { AUTH_HEADERS, alone, startBaseline, startServe, waitReady } from './servers.ts';
import { median } from './stats.ts';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const CORES: Cores = 'shared';
/** Calls sent to each server, one at a time, before the first measured window. */
const WARM_UP_CALLS = 2_000;
/**
 * Both Railyard servers keep the young generation that traffic gives them (16 MB semi-spaces).
 * Without it, V8 took each pause (SIGSTOP, see `alone`) for idle time and shrank the young
 * generation of the paused server at its first collection after resuming (measured: 32 MB → 8 MB
 * over one window, never growing back under this load), five times the scavenges, at random on
 * either server. Under traffic without pauses it stays at 32 MB (measured after 20 s idle too).
 */
const PINNED_YOUNG_GENERATION = ['--min-semi-space-size=16'];
/** Pairs of windows in a full run (`--quick` keeps its one). */
const FULL_RUNS = 7;

/**
 * healthcare-compliance edited into a draft with one more guardrail, in shadow on every call or
 * not at all: both servers record the same versions, and only the shadow differs between them.
 */
const asDraft = (text: string, shadow: boolean): string =>
  text
    .replace(
      'add: [phi-detector, pii-mask, prompt-injection]',
      'add: [phi-detector, pii-mask, prompt-injection, secrets-scan]',
    )
    .replace(
      '  versionStatus: production\n',
      `  versionStatus: draft\n${shadow ? '  shadow: {sampleRate: 1}\n' : ''}`,
    );

type ShadowReport = {
  shadows: { active: boolean; runs: number; skipped: number; agreement: number | null }[];
};

export async function measureEnforceShadow(opts: EnforceOptions): Promise<Row[]> {
  const body = JSON.stringify(benchmarkCall().litellm);
  const plainDir = await mkdtemp(join(tmpdir(), 'railyard-bench-plain-'));
  const shadowDir = await mkdtemp(join(tmpdir(), 'railyard-bench-shadow-'));
  await cp(EXAMPLES, plainDir, { recursive: true });
  await cp(EXAMPLES, shadowDir, { recursive: true });
  const plain = await startServe(plainDir, [], PINNED_YOUNG_GENERATION);
  const shadowed = await startServe(shadowDir, [], PINNED_YOUNG_GENERATION);
  try {
    await Promise.all([waitReady(plain.url), waitReady(shadowed.url)]);
    // v1 is recorded in production first; the edit makes v2 a draft on both, in shadow on one.
    const original = await readFile(join(shadowDir, 'healthcare.yaml'), 'utf8');
    const edited = asDraft(original, true);
    if (!edited.includes('shadow:') || !edited.includes('secrets-scan'))
      throw new Error('examples/healthcare.yaml changed: the shadow edit no longer applies');
    await writeFile(join(plainDir, 'healthcare.yaml'), asDraft(original, false));
    await writeFile(join(shadowDir, 'healthcare.yaml'), edited);
    const report = async (): Promise<ShadowReport> =>
      (await fetch(`${shadowed.url}/v1/shadow`, { headers: AUTH_HEADERS })).json() as Promise<ShadowReport>;
    type Status = { objects: { key: { name: string }; policy?: { latestVersion?: number } }[] };
    const draftRecorded = async (): Promise<boolean> => {
      const status = (await (
        await fetch(`${plain.url}/v1/status`, { headers: AUTH_HEADERS })
      ).json()) as Status;
      return status.objects.some(
        (o) => o.key.name === 'healthcare-compliance' && o.policy?.latestVersion === 2,
      );
    };
    const deadline = Date.now() + 10_000;
    while (!(await report()).shadows[0]?.active || !(await draftRecorded())) {
      if (Date.now() > deadline) throw new Error('the draft was not recorded on both, or not put in shadow');
      await new Promise((r) => setTimeout(r, 20));
    }
    const call = async (url: string): Promise<string> =>
      (
        await fetch(`${url}${LITELLM_PATH}`, {
          method: 'POST',
          headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
          body,
        })
      ).text();
    const answer = await call(plain.url);
    // What a shadow does once (its namespace's index built with the draft in production, the
    // draft's new guardrail compiled) and the collections it brings happen here, before any
    // window: the rows compare the cost per call.
    for (let i = 0; i < WARM_UP_CALLS; i++) await Promise.all([call(plain.url), call(shadowed.url)]);
    const baseline = await startBaseline(
      answer,
      await mkdtemp(join(tmpdir(), 'railyard-bench-shadow-base-')),
    );
    try {
      const paced = pacedPost(opts, body);
      const latency = { bare: [] as PacedResult[], plain: [] as PacedResult[], shadow: [] as PacedResult[] };
      const runs = opts.runs > 1 ? Math.max(opts.runs, FULL_RUNS) : opts.runs;
      for (let r = 0; r < runs; r++) {
        latency.bare.push(
          await alone([plain, shadowed], () => runPacedLoad(paced(baseline.url, '/'), CORES)),
        );
        latency.plain.push(
          await alone([baseline, shadowed], () => runPacedLoad(paced(plain.url, LITELLM_PATH), CORES)),
        );
        latency.shadow.push(
          await alone([baseline, plain], () => runPacedLoad(paced(shadowed.url, LITELLM_PATH), CORES)),
        );
      }
      const after = (await report()).shadows[0];
      if (!after || after.runs === 0) throw new Error('no shadow run was counted');
      const decisions = shadowed.logs.filter((l) => l.msg === 'decision');
      if (decisions.some((l) => l.verdict !== 'mask')) throw new Error('a benchmark decision was not a mask');
      const paceOf = {
        rate: opts.requestsPerSecond,
        connections: opts.connections,
        cores: CORES,
        durationSeconds: opts.durationSeconds,
      };
      const ratios = latency.shadow.map(
        (s, i) => s.latencyP99Ms / (latency.plain[i] as PacedResult).latencyP99Ms,
      );
      const agreement = after.agreement === null ? '-' : `${(after.agreement * 100).toFixed(2)}%`;
      const ratioRow: Row = {
        measurement: 'p99 with a draft in shadow on every call ÷ p99 without, same run, at 500 req/s',
        value: Math.round(median(ratios) * 100) / 100,
        unit: '×',
        target: { op: '<=', limit: 1.1 },
        detail: `median of ${runs} runs, each the two servers measured back to back; by run: ${ratios.map((x) => x.toFixed(2)).join(', ')}; ${after.runs.toLocaleString('en')} shadow runs counted (${after.skipped.toLocaleString('en')} skipped at the cap of ${SHADOW_DISPATCH_DEFAULTS.maxConcurrent}), agreement ${agreement}; both servers with their young generation pinned (16 MB semi-spaces)`,
      };
      return [
        ...latencyRows('pre-call decision without a shadow (same tree, same call)', latency.plain, paceOf),
        ...latencyRows(
          'pre-call decision with a draft in shadow on every call (sample rate 1)',
          latency.shadow,
          paceOf,
        ),
        ratioRow,
        ...latencyRows(
          `bare node:http baseline beside the shadow rows, same POST, constant ${answer.length}-byte answer`,
          latency.bare,
          paceOf,
        ),
      ];
    } finally {
      await baseline.stop();
    }
  } finally {
    await Promise.all([plain.stop(), shadowed.stop()]);
  }
}
