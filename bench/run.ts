/**
 * `npm run bench`: generates trees of 10, 1,000 and 10,000 policies, runs every measurement, prints
 * the table with each target and whether it is MET or MISSED, and writes `bench/results.json`.
 * `--quick` takes fewer and shorter runs (for trying a change, not for the published figures).
 * Exits 0 whether or not targets are met: a missed target is a finding, not a crash.
 */
import { join } from 'node:path';
import { measureEnforce } from './enforce.ts';
import { generateTree } from './generate-tree.ts';
import { measureHttpResolve } from './http-resolve.ts';
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
};
const QUICK = {
  resolveRuns: 3,
  editRuns: 3,
  http: { runs: 1, durationSeconds: 3, connections: 50 },
  enforce: { runs: 1, durationSeconds: 5, requestsPerSecond: 500, connections: 10 },
  propagation: 8,
  startup: 1,
};

requireH2load();
const quick = process.argv.includes('--quick');
const plan = quick ? QUICK : FULL;
const startedAt = new Date();
const log = (text: string): void => void process.stderr.write(`${text}\n`);

log('generating trees of 10, 1,000 and 10,000 policies');
const [small, medium, large] = [10, 1000, 10_000].map((n) => generateTree(n));
if (!small || !medium || !large) throw new Error('unreachable');

const rows: Row[] = [];
const step = async (name: string, measure: () => Promise<Row[]>): Promise<void> => {
  log(`▸ ${name}`);
  const started = performance.now();
  const got = await measure();
  for (const r of got) log(`  ${r.measurement}: ${formatValue(r.value, r.unit)}`);
  log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  rows.push(...got);
};

await step('in-process resolve', () => measureResolve([small, medium, large], plan.resolveRuns));
await step('one policy edit', () => measureEdit(large, plan.editRuns));
await step('GET /v1/resolve over HTTP', () => measureHttpResolve(large, plan.http));
await step('pre-call decision (enforcement)', () => measureEnforce(plan.enforce));
await step('propagation', () => measurePropagation(large, plan.propagation));
await step('start-up', () => measureStartup(large, plan.startup));

const report = buildReport(rows, startedAt, new Date());
process.stdout.write(`${formatTable(rows)}\n\n`);
process.stdout.write(
  `${report.summary.met} met, ${report.summary.missed} missed · ${report.machine.nproc} CPUs (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, node ${report.machine.node} · ${report.durationSeconds} s\n`,
);
if (!quick) await writeReport(report, join(import.meta.dirname, 'results.json'));
