/**
 * `npm run bench`: generates trees of 10, 1,000 and 10,000 policies, runs every measurement, prints
 * the table with each target and whether it is MET or MISSED, and writes `bench/results.json`; the
 * Kubernetes rows (a real API server from `KUBEBUILDER_ASSETS`, skipped without it) go to
 * `bench/results-kubernetes.json`.
 * `--only <step>[,<step>…]` runs only those steps (see `STEPS`; `directory` names every step but
 * `kubernetes`) and writes a results file only for a part that ran whole. `--quick` takes fewer and
 * shorter runs (for trying a change, not for the published figures; no file is written).
 * Exits 0 whether or not targets are met: a missed target is a finding, not a crash.
 */
import { join } from 'node:path';
import { measureEnforce } from './enforce.ts';
import { measureEnforceHeavy } from './enforce-heavy.ts';
import { measureEnforceShadow } from './enforce-shadow.ts';
import { generateTree } from './generate-tree.ts';
import { measureHttpResolve } from './http-resolve.ts';
import { measureKubernetes } from './kubernetes.ts';
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
  kubernetes: { edits: 15, largeEdits: 100, largePolicies: 5_000 },
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
  kubernetes: { edits: 5, largeEdits: 20, largePolicies: 5_000 },
};

/** The directory-mode steps, in the order they run; they share `bench/results.json`. */
const DIRECTORY_STEPS = [
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
/** Step names for `--only`, and the group `directory`. */
export const STEPS = [...DIRECTORY_STEPS, 'kubernetes'] as const;
type Step = (typeof STEPS)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const plan = quick ? QUICK : FULL;
const onlyArg = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '') : undefined;
const only = onlyArg === undefined ? undefined : new Set<string>();
for (const name of onlyArg?.split(',') ?? []) {
  if (name === 'directory') for (const s of DIRECTORY_STEPS) only?.add(s);
  else if ((STEPS as readonly string[]).includes(name)) only?.add(name);
  else {
    process.stderr.write(`--only ${name}: unknown step; steps: directory, ${STEPS.join(', ')}\n`);
    process.exit(2);
  }
}
const runs = (s: Step): boolean => only === undefined || only.has(s);
const log = (text: string): void => void process.stderr.write(`${text}\n`);

const step = async (rows: Row[], name: string, measure: () => Promise<Row[]>): Promise<void> => {
  log(`▸ ${name}`);
  const started = performance.now();
  const got = await measure();
  for (const r of got) log(`  ${r.measurement}: ${formatValue(r.value, r.unit)}`);
  log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  rows.push(...got);
};

/** Prints the rows' table and summary, and writes them to `file` when given and not quick. */
async function finish(rows: readonly Row[], startedAt: Date, file: string | undefined): Promise<void> {
  const report = buildReport(rows, startedAt, new Date());
  process.stdout.write(`${formatTable(rows)}\n\n`);
  process.stdout.write(
    `${report.summary.met} met, ${report.summary.missed} missed · ${report.machine.nproc} CPUs (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, node ${report.machine.node} · ${report.durationSeconds} s\n`,
  );
  if (!quick && file) await writeReport(report, join(import.meta.dirname, file));
}

const directory = DIRECTORY_STEPS.filter(runs);
if (directory.length > 0) {
  requireH2load();
  const startedAt = new Date();
  const treeSteps: readonly Step[] = ['resolve', 'edit', 'http', 'propagation', 'startup'];
  const needTrees = treeSteps.some(runs);
  if (needTrees) log('generating trees of 10, 1,000 and 10,000 policies');
  const [small, medium, large] = needTrees ? [10, 1000, 10_000].map((n) => generateTree(n)) : [];
  const tree = <T>(t: T | undefined): T => {
    if (t === undefined) throw new Error('unreachable: trees are generated for every step that needs one');
    return t;
  };
  const rows: Row[] = [];
  const measure = async (s: Step, name: string, m: () => Promise<Row[]>): Promise<void> => {
    if (runs(s)) await step(rows, name, m);
  };
  await measure('resolve', 'in-process resolve', () =>
    measureResolve([tree(small), tree(medium), tree(large)], plan.resolveRuns),
  );
  await measure('edit', 'one policy edit', () => measureEdit(tree(large), plan.editRuns));
  await measure('http', 'GET /v1/resolve over HTTP', () => measureHttpResolve(tree(large), plan.http));
  await measure('pool', 'guardrail worker pool overhead (in-process)', () =>
    measurePoolOverhead(plan.poolDecisions),
  );
  await measure('enforce', 'pre-call decision (enforcement)', () => measureEnforce(plan.enforce));
  await measure('enforce-shadow', 'pre-call decision with a shadow running', () =>
    measureEnforceShadow(plan.enforce),
  );
  await measure('enforce-heavy', 'enforcement beside heavy bodies', () =>
    measureEnforceHeavy(plan.enforceHeavy),
  );
  await measure('propagation', 'propagation', () => measurePropagation(tree(large), plan.propagation));
  await measure('startup', 'start-up', () => measureStartup(tree(large), plan.startup));
  const whole = directory.length === DIRECTORY_STEPS.length;
  await finish(rows, startedAt, whole ? 'results.json' : undefined);
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
