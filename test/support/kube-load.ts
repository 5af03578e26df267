/**
 * Many railyard.dev objects on a real API server, and what the API server says it was asked to do:
 * shared by the scale tests (test/k8s) and the Kubernetes benchmark rows (bench/). Objects are
 * created through the API directly, many requests in flight, not one kubectl per object.
 */
import { request } from 'node:https';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { kubeConfigFrom } from '../../src/kube/index.ts';
import type { KubeApiServer } from './kube-apiserver.ts';

const GROUP = 'railyard.dev';
const VERSION = 'v1alpha1';

export type LoadObject = {
  readonly plural: 'policies' | 'policyattachments' | 'guardrails';
  readonly namespace: string;
  readonly name: string;
  readonly spec: Record<string, unknown>;
};

const KINDS = { policies: 'Policy', policyattachments: 'PolicyAttachment', guardrails: 'Guardrail' } as const;

/**
 * `policies` Policies `p-00000`… in production, each attached to its own team by a
 * PolicyAttachment `a-00000`…: `2 × policies` objects. Deterministic.
 */
export function policiesWithAttachments(policies: number, namespace = 'default'): LoadObject[] {
  const out: LoadObject[] = [];
  for (let i = 0; i < policies; i++) {
    const id = String(i).padStart(5, '0');
    out.push({
      plural: 'policies',
      namespace,
      name: `p-${id}`,
      spec: { description: `load policy ${id}`, guardrails: { add: ['pii-mask', `g-${i % 7}`] } },
    });
    out.push({
      plural: 'policyattachments',
      namespace,
      name: `a-${id}`,
      spec: { policy: `p-${id}`, teams: [`team-${id}`] },
    });
  }
  return out;
}

/** The team whose requests policy `i` of `policiesWithAttachments` answers. */
export const loadTeam = (i: number): string => `team-${String(i).padStart(5, '0')}`;

/** A client for the API server as its admin (or `token`). */
export async function adminObjects(kube: KubeApiServer, token?: string): Promise<CustomObjectsApi> {
  return kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig(token) }).makeApiClient(CustomObjectsApi);
}

/** Creates `objects` with `concurrency` requests in flight; rejects on the first failure. */
export async function createObjects(
  api: CustomObjectsApi,
  objects: readonly LoadObject[],
  concurrency = 16,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const o = objects[next++] as LoadObject;
      await api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: o.namespace,
        plural: o.plural,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: KINDS[o.plural],
          metadata: { name: o.name, namespace: o.namespace },
          spec: o.spec,
        },
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Replaces the spec of one object with a merge patch (what `kubectl apply` of an edit amounts to). */
export async function patchSpec(
  api: CustomObjectsApi,
  o: Pick<LoadObject, 'plural' | 'namespace' | 'name'>,
  spec: Record<string, unknown>,
): Promise<void> {
  await api.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace: o.namespace,
      plural: o.plural,
      name: o.name,
      body: { spec },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/**
 * Write requests the API server has answered, from its own `apiserver_request_total`, keyed
 * `VERB resource[/subresource]` (e.g. `PATCH policies/status`, `PUT configmaps`), every code.
 */
export async function apiserverWrites(kube: KubeApiServer): Promise<Map<string, number>> {
  const text = await getText(kube, '/metrics');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    const verb = labels.verb ?? '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'CREATE', 'UPDATE'].includes(verb)) continue;
    const key = `${verb} ${labels.resource ?? ''}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** What was written between two `apiserverWrites` readings, without Lease renewals; zero entries left out. */
export function writesBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of after) {
    if (key.endsWith(' leases')) continue;
    const d = n - (before.get(key) ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

export const totalWrites = (w: Readonly<Record<string, number>>): number =>
  Object.values(w).reduce((a, b) => a + b, 0);

function getText(kube: KubeApiServer, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${kube.server}${path}`,
      { headers: { authorization: `Bearer ${kube.adminToken}` }, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}
