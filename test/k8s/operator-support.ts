/**
 * Shared steps of the operator tests: a real API server with the CRDs and the manifests' RBAC
 * installed, and the real `railyard serve --kubernetes` process pointed at it, authenticated as
 * the manifests' ServiceAccount: every operator test runs with exactly the permissions
 * `manifests/` grants.
 */
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { expect } from 'vitest';
import { type ExtraToken, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess, REPO, startRailyard } from '../support/railyard-process.ts';

/** The operator's own namespace, as manifests/ creates it: its Lease and history ConfigMaps live there. */
export const OPERATOR_NAMESPACE = 'railyard';

/**
 * A static token for the manifests' ServiceAccount `railyard/railyard`: the API server
 * authenticates it as that ServiceAccount would be (user and groups), so RBAC grants it exactly
 * what the manifests bind to the ServiceAccount.
 */
export const OPERATOR_SA: ExtraToken = {
  token: 'railyard-sa-token',
  user: `system:serviceaccount:${OPERATOR_NAMESPACE}:railyard`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`, 'system:authenticated'],
};

/** The kinds of manifests/ a v1.20 server can take without pods: the PodDisruptionBudget is policy/v1 (1.21+). */
const RBAC_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);

/** `kubectl kustomize manifests/`: the operator's own objects (CRDs are applied from crds/ first). */
export function renderManifests(kube: KubeApiServer): Promise<string> {
  return kubectlOk(kube, ['kustomize', join(REPO, 'manifests')]);
}

/** Applies the namespace, ServiceAccount and RBAC of manifests/, as rendered by kustomize. */
async function installManifestsRbac(kube: KubeApiServer): Promise<void> {
  const docs = (await renderManifests(kube))
    .split(/^---$/m)
    .filter((d) => RBAC_KINDS.has((load(d) as { kind?: string } | undefined)?.kind ?? ''));
  await kubectlOk(kube, ['apply', '-f', '-'], docs.join('\n---\n'));
}

/**
 * A real API server that knows the operator's ServiceAccount token (and `extraTokens`), with the
 * CRDs and the manifests' RBAC installed.
 */
export async function startKubeForOperator(extraTokens: readonly ExtraToken[] = []): Promise<KubeApiServer> {
  const kube = await startKubeApiServer({ extraTokens: [OPERATOR_SA, ...extraTokens] });
  await installCrds(kube);
  await installManifestsRbac(kube);
  return kube;
}

/** Every document of a multi-document YAML text. */
export const yamlDocs = (text: string) => loadAll(text) as { kind: string; metadata: { name: string } }[];

/** Short leader-election timings (client-go's are 15 s / 10 s / 2 s). */
const FAST_LEASE = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms'];

/** `kubectl …` that must succeed; returns stdout. */
export async function kubectlOk(
  kube: KubeApiServer,
  args: readonly string[],
  input?: string,
): Promise<string> {
  const r = await kube.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Installs the CRDs as README.md says for servers older than 1.25 (kubectl validation there rejects CEL rules) and waits until served. */
export async function installCrds(kube: KubeApiServer): Promise<void> {
  await kubectlOk(kube, ['apply', '--validate=false', '-f', 'crds/']);
  await kubectlOk(kube, ['wait', '--for', 'condition=established', '--timeout=30s', 'crd', '--all']);
}

/**
 * The operator as a child process, as the manifests' ServiceAccount (unless another kubeconfig is
 * given), with its Lease and histories in the operator's namespace.
 */
export async function startOperator(
  kube: KubeApiServer,
  o: {
    args?: readonly string[];
    kubeconfig?: string;
    identity?: string;
    waitForReady?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<RailyardProcess> {
  const kubeconfig = o.kubeconfig ?? (await kube.kubeconfig(OPERATOR_SA.token));
  return startRailyard({
    args: [
      '--kubernetes',
      '--lease-namespace',
      OPERATOR_NAMESPACE,
      '--history-namespace',
      OPERATOR_NAMESPACE,
      '--identity',
      o.identity ?? 'replica-a',
      ...FAST_LEASE,
      ...(o.args ?? []),
    ],
    env: { ...o.env, KUBECONFIG: kubeconfig },
    ...(o.waitForReady === undefined ? {} : { waitForReady: o.waitForReady }),
  });
}

export type KubeObject = {
  metadata: { name: string; namespace: string; generation?: number; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      lastTransitionTime: string;
    }[];
    latestVersion?: number;
    productionVersion?: number;
    latestDigest?: string;
    productionDigest?: string;
    resolvedGuardrails?: string[];
    policyHasProduction?: boolean;
  };
  data?: Record<string, string>;
};

export async function getObject(
  kube: KubeApiServer,
  resource: string,
  name: string,
  ns = 'default',
): Promise<KubeObject> {
  return JSON.parse(await kubectlOk(kube, ['get', resource, name, '-n', ns, '-o', 'json'])) as KubeObject;
}

export const condition = (o: KubeObject, type: string) => o.status?.conditions?.find((c) => c.type === type);

/** Waits until the object's status satisfies `check` at its current generation. */
export function statusOf(
  kube: KubeApiServer,
  resource: string,
  name: string,
  check: (o: KubeObject) => boolean,
  timeoutMs = 15_000,
  ns = 'default',
): Promise<KubeObject> {
  return eventually(
    async () => {
      const o = await getObject(kube, resource, name, ns);
      return o.status?.observedGeneration === o.metadata.generation && check(o) ? o : undefined;
    },
    timeoutMs,
    100,
  );
}

/** GET /v1/resolve without the fields that differ between two registries (revision, policy ids). */
export async function resolveAnswer(rail: RailyardProcess, query: string): Promise<unknown> {
  const body = await rail.json<Record<string, unknown>>(`/v1/resolve?${query}`);
  const { revision: _revision, policy_versions, ...rest } = body;
  return {
    ...rest,
    policy_versions: (policy_versions as Record<string, unknown>[]).map(({ policy_id: _id, ...v }) => v),
  };
}

/** Histories of the policies of `ns` as the store ConfigMaps hold them, by policy name. */
export async function storedHistories(kube: KubeApiServer, ns = 'default'): Promise<Map<string, unknown>> {
  const list = JSON.parse(
    await kubectlOk(kube, [
      'get',
      'configmaps',
      '-n',
      OPERATOR_NAMESPACE,
      '-l',
      `railyard.dev/store=history,railyard.dev/policy-namespace=${ns}`,
      '-o',
      'json',
    ]),
  ) as { items: KubeObject[] };
  return new Map(
    list.items.map((cm) => {
      const h = JSON.parse(cm.data?.['history.json'] ?? '{}') as { name: string };
      return [h.name, h];
    }),
  );
}
