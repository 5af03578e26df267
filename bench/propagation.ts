/**
 * Directory mode, end to end: the probe policy's file is rewritten with a new guardrail, and
 * `GET /v1/resolve` for the probe key is polled every 2 ms until the probe policy's entry in the
 * answer carries it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROBE_FILE, PROBE_KEY, PROBE_POLICY, probeFileText, type Tree, writeTree } from './generate-tree.ts';
import type { Row } from './report.ts';
import { AUTH_HEADERS, startServe, waitReady } from './servers.ts';
import { percentile } from './stats.ts';

const POLL_MS = 2;
/** Longer than the directory source's settle window, so one edit's passes never overlap the next. */
const BETWEEN_MS = 300;
const TIMEOUT_MS = 10_000;
const EDITED = ['keywords-b', 'keywords-c'] as const;

async function waitForGuardrail(url: string, guardrail: string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (performance.now() < deadline) {
    const res = await fetch(`${url}/v1/resolve?key_alias=${PROBE_KEY}`, { headers: AUTH_HEADERS });
    const body = (await res.json()) as {
      matched_policies: { policy_name: string; guardrails_added: string[] }[];
    };
    const probe = body.matched_policies.find((p) => p.policy_name === PROBE_POLICY);
    if (probe?.guardrails_added.includes(guardrail)) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`"${guardrail}" was not served within ${TIMEOUT_MS} ms of the write`);
}

export async function measurePropagation(tree: Tree, samples: number): Promise<Row[]> {
  const dir = join(await mkdtemp(join(tmpdir(), 'railyard-bench-prop-')), 'tree');
  await writeTree(tree, dir);
  const railyard = await startServe(dir);
  const times: number[] = [];
  try {
    await waitReady(railyard.url);
    for (let i = 0; i < samples; i++) {
      const guardrail = EDITED[i % EDITED.length] as string;
      const text = probeFileText(tree, guardrail);
      const started = performance.now();
      await writeFile(join(dir, PROBE_FILE), text);
      await waitForGuardrail(railyard.url, guardrail);
      times.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, BETWEEN_MS));
    }
  } finally {
    await railyard.stop();
  }
  const size = tree.policies.toLocaleString('en');
  const how = `${samples} edits of one ${tree.files.find((f) => f.name === PROBE_FILE)?.text.length ?? 0}-byte file, polled every ${POLL_MS} ms`;
  return [
    {
      measurement: `propagation, directory mode, ${size} policies: file written → new answer, p50`,
      value: percentile(times, 50),
      unit: 'ms',
      target: { op: '<=', limit: 100 },
      detail: how,
    },
    {
      measurement: `propagation, directory mode, ${size} policies: file written → new answer, p99`,
      value: percentile(times, 99),
      unit: 'ms',
      target: { op: '<=', limit: 500 },
      detail: `${how}; with this few samples p99 is the slowest edit`,
    },
  ];
}
