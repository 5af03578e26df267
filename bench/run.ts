/**
 * `npm run bench`: generates trees of 10, 1,000 and 10,000 policies, runs every measurement, prints
 * the table with each target and whether it is MET or MISSED, and writes `bench/results.json`.
 * `--quick` takes fewer and shorter runs (for trying a change, not for the published figures).
 * `--only <step>[,<step>…]` runs only those steps (see `STEPS`) and leaves results.json untouched.
 * Exits 0 whether or not targets are met: a missed target is a finding, not a crash.
 */
import { join } from 'node:path';
import { measureEnforce } from './enforce.ts';
import { measureEnforceHeavy } from './enforce-heavy.ts';
import { measureEnforceShadow } from './enforce-shadow.ts';
import { generateTree } from './generate-tree.ts';
import { measureHttpResolve } from './http-resolve.ts';
import { requireH2load } from './paced-load.ts';
import { measureEdit } from './policy-edit.ts';
import { measurePoolOverhead } from './pool-overhead.ts';
import { measurePropagation } from './propagation.ts';
import { buildReport, formatTable, formatValue, type Row, writeReport } from './report.ts';
import { measureResolve } from './resolve-in-process.ts';
import { measureStartup } from './startup.ts';

const FULL = {
  resolveRuns: 7,
  editRuns: 9,
  http: { runs: 3, durationSeconds: 5, connections: 50 },
  enforce: { runs: 3, durationSeconds: 10, requestsPerSecond: 500, connections: 10 },
  enforceHeavy: { runs: 3, durationSeconds: 10, requestsPerSecond: 100, connections: 5, spaceCalls: 20 },
  poolDecisions: 5_000,
  propagation: 25,
  startup: 3,
};
const QUICK = {
  resolveRuns: 3,
  editRuns: 3,
  http: { runs: 1, durationSeconds: 3, connections: 50 },
  enforce: { runs: 1, durationSeconds: 5, requestsPerSecond: 500, connections: 10 },
  enforceHeavy: { runs: 1, durationSeconds: 5, requestsPerSecond: 100, connections: 5, spaceCalls: 10 },
  poolDecisions: 1_000,
  propagation: 8,
  startup: 1,
};

/** Step names for `--only`. */
export const STEPS = [
  'resolve',
  'edit',
  'http',
  'pool',
  'enforce',
  'enforce-shadow',
  'enforce-heavy',
  'propagation',
  'startup',
] as const;
type Step = (typeof STEPS)[number];

requireH2load();
const quick = process.argv.includes('--quick');
const plan = quick ? QUICK : FULL;
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : new Set((process.argv[onlyAt + 1] ?? '').split(','));
for (const s of only ?? []) {
  if (!(STEPS as readonly string[]).includes(s))
    throw new Error(`--only ${s}: unknown step; steps: ${STEPS.join(', ')}`);
}
const startedAt = new Date();
const log = (text: string): void => void process.stderr.write(`${text}\n`);

const treeSteps: readonly Step[] = ['resolve', 'edit', 'http', 'propagation', 'startup'];
const needTrees = !only || treeSteps.some((s) => only.has(s));
if (needTrees) log('generating trees of 10, 1,000 and 10,000 policies');
const [small, medium, large] = needTrees ? [10, 1000, 10_000].map((n) => generateTree(n)) : [];

const rows: Row[] = [];
const step = async (key: Step, name: string, measure: () => Promise<Row[]>): Promise<void> => {
  if (only && !only.has(key)) return;
  log(`▸ ${name}`);
  const started = performance.now();
  const got = await measure();
  for (const r of got) log(`  ${r.measurement}: ${formatValue(r.value, r.unit)}`);
  log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  rows.push(...got);
};

const tree = <T>(t: T | undefined): T => {
  if (t === undefined) throw new Error('unreachable: trees are generated for every step that needs one');
  return t;
};
await step('resolve', 'in-process resolve', () =>
  measureResolve([tree(small), tree(medium), tree(large)], plan.resolveRuns),
);
await step('edit', 'one policy edit', () => measureEdit(tree(large), plan.editRuns));
await step('http', 'GET /v1/resolve over HTTP', () => measureHttpResolve(tree(large), plan.http));
await step('pool', 'guardrail worker pool overhead (in-process)', () =>
  measurePoolOverhead(plan.poolDecisions),
);
await step('enforce', 'pre-call decision (enforcement)', () => measureEnforce(plan.enforce));
await step('enforce-shadow', 'pre-call decision with a shadow running', () =>
  measureEnforceShadow(plan.enforce),
);
await step('enforce-heavy', 'enforcement beside heavy bodies', () => measureEnforceHeavy(plan.enforceHeavy));
await step('propagation', 'propagation', () => measurePropagation(tree(large), plan.propagation));
await step('startup', 'start-up', () => measureStartup(tree(large), plan.startup));

const report = buildReport(rows, startedAt, new Date());
process.stdout.write(`${formatTable(rows)}\n\n`);
process.stdout.write(
  `${report.summary.met} met, ${report.summary.missed} missed · ${report.machine.nproc} CPUs (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, node ${report.machine.node} · ${report.durationSeconds} s\n`,
);
if (!quick && !only) await writeReport(report, join(import.meta.dirname, 'results.json'));
