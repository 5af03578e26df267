/**
 * Shared steps of the operator tests: a real API server with the CRDs installed, and the real
 * `railyard serve --kubernetes` process pointed at it.
 */
import { expect } from 'vitest';
import type { KubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess, startRailyard } from '../support/railyard-process.ts';

/** Short leader-election timings (client-go's are 15 s / 10 s / 2 s). */
export const FAST_LEASE = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms'];

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

/** The operator as a child process, with the admin kubeconfig unless one is given. */
export async function startOperator(
  kube: KubeApiServer,
  o: { args?: readonly string[]; kubeconfig?: string; identity?: string; waitForReady?: boolean } = {},
): Promise<RailyardProcess> {
  const kubeconfig = o.kubeconfig ?? (await kube.kubeconfig());
  return startRailyard({
    args: [
      '--kubernetes',
      '--lease-namespace',
      'default',
      '--identity',
      o.identity ?? 'replica-a',
      ...FAST_LEASE,
      ...(o.args ?? []),
    ],
    env: { KUBECONFIG: kubeconfig },
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

/** Histories as the store ConfigMaps hold them, by policy name. */
export async function storedHistories(kube: KubeApiServer, ns = 'default'): Promise<Map<string, unknown>> {
  const list = JSON.parse(
    await kubectlOk(kube, ['get', 'configmaps', '-n', ns, '-l', 'railyard.dev/store=history', '-o', 'json']),
  ) as { items: KubeObject[] };
  return new Map(
    list.items.map((cm) => {
      const h = JSON.parse(cm.data?.['history.json'] ?? '{}') as { name: string };
      return [h.name, h];
    }),
  );
}
