import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { resolve } from '../../../src/engine/index.ts';
import { createLogger, Metrics } from '../../../src/observability/index.ts';
import { Controller } from '../../../src/reconcile/index.ts';
import { Registry } from '../../../src/registry/index.ts';
import { DirectorySource } from '../../../src/sources/index.ts';
import {
  createMemoryStore,
  StoreConflict,
  StoreError,
  type StoreState,
  type VersionStore,
} from '../../../src/store/index.ts';
import { eventually } from '../../support/railyard-process.ts';
import { writeTree } from '../../support/trees.ts';

const tree = (guardrails: string[]) => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: base}
spec: {guardrails: {add: [${guardrails.join(', ')}]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: everyone}
spec: {policy: base, scope: "*"}
`;

/**
 * A real in-memory store with faults injected on demand: `failNext(n, error)` makes the next `n`
 * saves throw, and every call is counted. Tracks how many saves run at once.
 */
function faultyStore() {
  const inner = createMemoryStore();
  let failures: { left: number; error: () => Error } = { left: 0, error: () => new Error() };
  const counts = { saves: 0, loads: 0, inFlight: 0, maxInFlight: 0 };
  let gate: Promise<void> = Promise.resolve();
  let maxVersions = Number.POSITIVE_INFINITY;
  const store: VersionStore = {
    fit: (history) =>
      history.versions.length > maxVersions
        ? { ok: false, message: `${history.versions.length} versions do not fit` }
        : { ok: true, history, dropped: [] },
    load: async () => {
      counts.loads++;
      return inner.load();
    },
    save: async (state: StoreState) => {
      counts.saves++;
      counts.inFlight++;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      try {
        await gate;
        if (failures.left > 0) {
          failures.left--;
          throw failures.error();
        }
        await inner.save(state);
      } finally {
        counts.inFlight--;
      }
    },
  };
  return {
    store,
    counts,
    failNext: (n: number, error: () => Error) => {
      failures = { left: n, error };
    },
    /** From now on, `fit` refuses histories of more than `n` versions. */
    fitAtMost: (n: number) => {
      maxVersions = n;
    },
    /** Holds every save until the returned function is called. */
    hold: () => {
      let open!: () => void;
      gate = new Promise((r) => {
        open = r;
      });
      return () => open();
    },
  };
}

const running: Controller[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function setup(initial: string[]) {
  const dir = await writeTree({ 'policies.yaml': tree(initial) });
  const faults = faultyStore();
  const registry = new Registry({ store: faults.store });
  await registry.load();
  const lines: Record<string, unknown>[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  const metrics = new Metrics();
  const controller = new Controller({
    source: new DirectorySource({ dirs: [dir] }),
    registry,
    log: createLogger({ destination: out, level: 'debug' }),
    metrics,
    debounceMs: 5,
    backoff: { initialMs: 20, maxMs: 100, jitter: 0 },
  });
  running.push(controller);
  await controller.start(new AbortController().signal);
  const answer = () => {
    const view = registry.snapshot().namespaces.get('default');
    return view ? resolve(view.index, {}).effectiveGuardrails : [];
  };
  const count = async (result: 'success' | 'error') =>
    (await metrics.reconcileTotal.get()).values.find(
      (v) => v.labels.controller === 'declared' && v.labels.result === result,
    )?.value ?? 0;
  const edit = (guardrails: string[]) => writeFile(join(dir, 'policies.yaml'), tree(guardrails));
  return { dir, faults, registry, controller, lines, metrics, answer, count, edit };
}

describe('Controller', () => {
  test('the first pass marks the registry synced and says so with its reconcile id', async () => {
    const { registry, lines, answer } = await setup(['g1']);
    expect(registry.synced()).toBe(true);
    expect(answer()).toEqual(['g1']);
    const synced = lines.find((l) => l.msg === 'initial sync complete');
    expect(synced).toMatchObject({ controller: 'declared', reconcileId: 'declared-1' });
  });

  test('a failed save is retried until it succeeds; meanwhile the old answer serves and status says why', async () => {
    const { faults, controller, answer, count, edit, metrics } = await setup(['g1']);
    faults.failNext(3, () => new StoreError('disk full: write of registry.json failed'));
    await edit(['g1', 'g2']);
    const failing = await eventually(async () => controller.status().failing);
    expect(failing.error).toContain('disk full');
    expect(failing.retryAt).toBeGreaterThanOrEqual(failing.since);
    expect(answer()).toEqual(['g1']);
    // No further edit: the retries alone bring the new answer in.
    await eventually(async () => (answer().includes('g2') ? true : undefined));
    expect(answer()).toEqual(['g1', 'g2']);
    expect(controller.status().failing).toBeUndefined();
    expect(controller.status().lastSuccessAt).toBeDefined();
    expect(await count('error')).toBe(3);
    const errors = (await metrics.reconcileErrors.get()).values[0]?.value;
    expect(errors).toBe(3);
  });

  test('a history the store cannot keep counts as an error, is logged, and is not retried', async () => {
    const { faults, controller, answer, count, edit, lines } = await setup(['g1']);
    faults.fitAtMost(1);
    const [errors, successes, saves] = [await count('error'), await count('success'), faults.counts.saves];
    await edit(['g1', 'g7']);
    const line = await eventually(async () =>
      lines.find((l) => l.msg === 'history not stored: 2 versions do not fit'),
    );
    expect(line).toMatchObject({ level: 40, key: 'Policy/default/base' });
    await controller.idle();
    expect(await count('error')).toBe(errors + 1);
    expect(await count('success')).toBe(successes);
    expect(controller.status().failing).toBeUndefined();
    expect(answer()).toEqual(['g1']);
    await new Promise((r) => setTimeout(r, 100));
    expect(await count('error')).toBe(errors + 1);
    expect(faults.counts.saves).toBe(saves);
  });

  test('a write that lost a race reloads the store before the retry', async () => {
    const { faults, answer, edit } = await setup(['g1']);
    const loads = faults.counts.loads;
    faults.failNext(1, () => new StoreConflict('ConfigMap default/railyard-policy-base was changed; reload'));
    await edit(['g3']);
    await eventually(async () => (answer().includes('g3') ? true : undefined));
    expect(faults.counts.loads).toBe(loads + 1);
  });

  test('a burst of notifications makes one pass, and passes never overlap', async () => {
    const { faults, controller, count, edit, answer } = await setup(['g1']);
    const before = await count('success');
    for (let i = 0; i < 50; i++) controller.kick();
    await controller.idle();
    expect((await count('success')) - before).toBe(1);

    const release = faults.hold();
    await edit(['g4']);
    await eventually(async () => (faults.counts.inFlight === 1 ? true : undefined));
    await edit(['g5']);
    controller.kick();
    await new Promise((r) => setTimeout(r, 100));
    expect(faults.counts.inFlight).toBe(1);
    release();
    await eventually(async () => (answer().includes('g5') ? true : undefined));
    expect(faults.counts.maxInFlight).toBe(1);
  });

  test('the pending pass is a queue of one in the workqueue metrics; a pass held up shows as busy', async () => {
    const { faults, controller, metrics, edit, answer } = await setup(['g1']);
    const text = async () => metrics.registry.metrics();
    const sample = (t: string, series: string) =>
      Number(
        t
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.split(' ')[1] ?? Number.NaN,
      );
    const before = await text();
    const adds = sample(before, 'workqueue_adds_total{name="declared"}');
    const passes = sample(before, 'workqueue_work_duration_seconds_count{name="declared"}');
    expect(adds).toBeGreaterThanOrEqual(1);
    expect(passes).toBeGreaterThanOrEqual(1);

    const release = faults.hold();
    await edit(['g6']);
    await eventually(async () => (faults.counts.inFlight === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 30));
    expect(controller.busyFor()).toBeGreaterThanOrEqual(25);
    expect(
      sample(await text(), 'workqueue_longest_running_processor_seconds{name="declared"}'),
    ).toBeGreaterThan(0);
    release();
    await eventually(async () => (answer().includes('g6') ? true : undefined));
    await controller.idle();
    expect(controller.busyFor()).toBe(0);
    const after = await text();
    expect(sample(after, 'workqueue_adds_total{name="declared"}')).toBeGreaterThan(adds);
    expect(sample(after, 'workqueue_work_duration_seconds_count{name="declared"}')).toBeGreaterThan(passes);
    expect(sample(after, 'workqueue_depth{name="declared"}')).toBe(0);
  });

  test('every log line of a pass carries its reconcile id', async () => {
    const { lines, edit, answer } = await setup(['g1']);
    await edit(['g6']);
    await eventually(async () => (answer().includes('g6') ? true : undefined));
    const passLines = lines.filter((l) => l.msg === 'policy version change');
    expect(passLines.length).toBeGreaterThan(0);
    for (const l of passLines) expect(l.reconcileId).toMatch(/^declared-\d+$/);
    // The version created by the edit is logged by a later pass than the initial one.
    expect(new Set(passLines.map((l) => l.reconcileId)).size).toBeGreaterThan(1);
  });
});
