/**
 * `npm run bench`: generates trees of 10, 1,000 and 10,000 policies, runs every measurement, prints
 * the table with each target and whether it is MET or MISSED, and writes `bench/results.json`; the
 * Kubernetes rows (a real API server from `KUBEBUILDER_ASSETS`, skipped without it) go to
 * `bench/results-kubernetes.json`. `--only kubernetes` or `--only directory` runs one part (the
 * Kubernetes part needs no h2load). `--quick` takes fewer and shorter runs (for trying a change,
 * not for the published figures; no file is written). Exits 0 whether or not targets are met: a
 * missed target is a finding, not a crash.
 */
import { join } from 'node:path';
import { measureEnforce } from './enforce.ts';
import { generateTree } from './generate-tree.ts';
import { measureHttpResolve } from './http-resolve.ts';
import { measureKubernetes } from './kubernetes.ts';
import { requireH2load } from './paced-load.ts';
import { measureEdit } from './policy-edit.ts';
import { measurePropagation } from './propagation.ts';
import { buildReport, formatTable, formatValue, type Row, writeReport } from './report.ts';
import { measureResolve } from './resolve-in-process.ts';
import { measureStartup } from './startup.ts';

const FULL = {
  resolveRuns: 7,
  editRuns: 9,
  http: { runs: 3, durationSeconds: 5, connections: 50 },
  enforce: { runs: 3, durationSeconds: 10, requestsPerSecond: 500, connections: 10 },
  propagation: 25,
  startup: 3,
  kubernetes: { edits: 15, largeEdits: 100, largePolicies: 5_000 },
};
const QUICK = {
  resolveRuns: 3,
  editRuns: 3,
  http: { runs: 1, durationSeconds: 3, connections: 50 },
  enforce: { runs: 1, durationSeconds: 5, requestsPerSecond: 500, connections: 10 },
  propagation: 8,
  startup: 1,
  kubernetes: { edits: 5, largeEdits: 20, largePolicies: 5_000 },
};

const PARTS = ['directory', 'kubernetes'] as const;
type Part = (typeof PARTS)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
if (only !== undefined && !PARTS.includes(only as Part)) {
  process.stderr.write(`--only ${only}: expected one of ${PARTS.join(', ')}\n`);
  process.exit(2);
}
const runs = (part: Part): boolean => only === undefined || only === part;
const plan = quick ? QUICK : FULL;
const log = (text: string): void => void process.stderr.write(`${text}\n`);

const step = async (rows: Row[], name: string, measure: () => Promise<Row[]>): Promise<void> => {
  log(`▸ ${name}`);
  const started = performance.now();
  const got = await measure();
  for (const r of got) log(`  ${r.measurement}: ${formatValue(r.value, r.unit)}`);
  log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  rows.push(...got);
};

/** Prints the rows' table and summary, and writes them to `file` unless quick. */
async function finish(rows: readonly Row[], startedAt: Date, file: string): Promise<void> {
  const report = buildReport(rows, startedAt, new Date());
  process.stdout.write(`${formatTable(rows)}\n\n`);
  process.stdout.write(
    `${report.summary.met} met, ${report.summary.missed} missed · ${report.machine.nproc} CPUs (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, node ${report.machine.node} · ${report.durationSeconds} s\n`,
  );
  if (!quick) await writeReport(report, join(import.meta.dirname, file));
}

if (runs('directory')) {
  requireH2load();
  const startedAt = new Date();
  log('generating trees of 10, 1,000 and 10,000 policies');
  const [small, medium, large] = [10, 1000, 10_000].map((n) => generateTree(n));
  if (!small || !medium || !large) throw new Error('unreachable');
  const rows: Row[] = [];
  await step(rows, 'in-process resolve', () => measureResolve([small, medium, large], plan.resolveRuns));
  await step(rows, 'one policy edit', () => measureEdit(large, plan.editRuns));
  await step(rows, 'GET /v1/resolve over HTTP', () => measureHttpResolve(large, plan.http));
  await step(rows, 'pre-call decision (enforcement)', () => measureEnforce(plan.enforce));
  await step(rows, 'propagation', () => measurePropagation(large, plan.propagation));
  await step(rows, 'start-up', () => measureStartup(large, plan.startup));
  await finish(rows, startedAt, 'results.json');
}

if (runs('kubernetes')) {
  if (process.env.KUBEBUILDER_ASSETS) {
    const startedAt = new Date();
    const rows: Row[] = [];
    await step(rows, 'Kubernetes mode: two replicas on a real API server', () =>
      measureKubernetes(plan.kubernetes),
    );
    await finish(rows, startedAt, 'results-kubernetes.json');
  } else {
    log(
      'KUBEBUILDER_ASSETS is not set: skipping the Kubernetes rows (set it to a folder with kube-apiserver and etcd)',
    );
  }
}
