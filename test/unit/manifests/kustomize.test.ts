/**
 * manifests/ is a valid kustomize base, rendered offline by the real `kubectl kustomize` (no
 * cluster), and the policy/v1beta1 overlay that docs/kubernetes.md gives for servers before 1.21
 * renders as it says.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { REPO } from '../../support/railyard-process.ts';

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
};

/** `kubectl kustomize <dir>` with no kubeconfig at all: kustomize never needs a cluster. */
async function kustomize(dir: string): Promise<Doc[]> {
  const home = await mkdtemp(join(tmpdir(), 'railyard-kustomize-'));
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir], {
    env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: join(home, 'none') },
  });
  return loadAll(stdout) as Doc[];
}

describe('kubectl kustomize manifests/ (offline)', () => {
  test('renders the base: a policy/v1 PDB, and RBAC whose only core-group rule outside its namespace reads Namespaces', async () => {
    const docs = await kustomize(join(REPO, 'manifests'));
    expect(docs.find((d) => d.kind === 'PodDisruptionBudget')?.apiVersion).toBe('policy/v1');
    const clusterRole = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'railyard');
    // The floors' namespace selectors read Namespace labels: get, list and watch, nothing else.
    expect(clusterRole?.rules?.filter((r) => r.apiGroups.includes(''))).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(clusterRole?.rules?.find((r) => r.resources.includes('events'))?.apiGroups).toEqual([
      'events.k8s.io',
    ]);
    const role = docs.find((d) => d.kind === 'Role');
    expect(role?.metadata.namespace).toBe('railyard');
    expect(role?.rules?.flatMap((r) => r.resources).sort()).toEqual(['configmaps', 'leases']);
  });

  test('the documented overlay for servers before 1.21 turns the PDB into policy/v1beta1', async () => {
    // kustomize takes no absolute path for a base: the overlay names it relative to itself.
    const overlay = await mkdtemp(join(tmpdir(), 'railyard-overlay-'));
    await writeFile(
      join(overlay, 'kustomization.yaml'),
      `resources: [${JSON.stringify(relative(overlay, join(REPO, 'manifests')))}]
patches:
  - target: {kind: PodDisruptionBudget, name: railyard}
    patch: |-
      - op: replace
        path: /apiVersion
        value: policy/v1beta1
`,
    );
    const docs = await kustomize(overlay);
    expect(docs.find((d) => d.kind === 'PodDisruptionBudget')?.apiVersion).toBe('policy/v1beta1');
    expect(docs).toHaveLength((await kustomize(join(REPO, 'manifests'))).length);
  });
});
