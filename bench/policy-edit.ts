/**
 * One policy edit with a large tree present, in-process: the time from a changed resource to a
 * swapped snapshot with the new index (`Registry.applyDeclared` over an in-memory store), and, within
 * it, the snapshot and index rebuild alone (`buildSnapshot` from the previous snapshot).
 */

import { resolve } from '../src/engine/index.ts';
import { buildSnapshot } from '../src/registry/index.ts';
import { PROBE_KEY, PROBE_POLICY, type Tree } from './generate-tree.ts';
import { loadApp, NAMESPACE, namespaceIndex } from './in-process-app.ts';
import type { Row } from './report.ts';
import { median } from './stats.ts';

const EDITED = ['keywords-b', 'keywords-c'] as const;

export async function measureEdit(tree: Tree, runs: number): Promise<Row[]> {
  const { app, input } = await loadApp(tree);
  const probeAt = input.resources.findIndex((r) => r.kind === 'Policy' && r.name === PROBE_POLICY);
  const probe = input.resources[probeAt];
  if (probe?.kind !== 'Policy') throw new Error('the tree has no probe policy');
  const passes: number[] = [];
  const rebuilds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const guardrail = EDITED[r % EDITED.length] as string;
    const edited = { ...probe, spec: { ...probe.spec, guardrails: { add: [guardrail], remove: [] } } };
    const resources = input.resources.slice();
    resources[probeAt] = edited;
    const before = app.snapshot();
    const started = performance.now();
    await app.applyDeclared({ resources, rejected: input.rejected });
    passes.push(performance.now() - started);
    const answer = resolve(namespaceIndex(app), { keyAlias: PROBE_KEY }).matchedPolicies;
    const probeAnswer = answer.find((m) => m.policyName === PROBE_POLICY)?.guardrailsAdded ?? [];
    if (probeAnswer.join() !== guardrail)
      throw new Error(`the edit did not reach the index: ${probeAnswer.join()}`);

    const after = app.snapshot();
    const view = after.namespaces.get(NAMESPACE);
    if (view === undefined) throw new Error('namespace missing');
    const { histories, attachments } = view;
    const statuses = after.statuses; // read (and so sorted) before the clock starts: it is input here
    const rebuildStarted = performance.now();
    buildSnapshot(after.revision + 1, { histories, attachments, guardrails: [], statuses }, before);
    rebuilds.push(performance.now() - rebuildStarted);
  }
  const size = tree.policies.toLocaleString('en');
  return [
    {
      measurement: `one policy edit with ${size} present: snapshot + index rebuild`,
      value: median(rebuilds),
      unit: 'ms',
      target: { op: '<=', limit: 20 },
      detail: `median of ${runs} edits; buildSnapshot from the previous snapshot with one changed policy history`,
    },
    {
      measurement: `one policy edit with ${size} present: whole reconcile pass to swapped snapshot`,
      value: median(passes),
      unit: 'ms',
      detail: `median of ${runs} edits; Registry.applyDeclared (validation, versions, in-memory store write, snapshot)`,
    },
  ];
}
