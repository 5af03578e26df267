import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess, REPO } from '../support/railyard-process.ts';
import {
  condition,
  installCrds,
  kubectlOk,
  resolveAnswer,
  startOperator,
  statusOf,
  storedHistories,
} from './operator-support.ts';

const OPERATOR_TOKEN = 'railyard-operator-token';
const OPERATOR_USER = 'railyard-operator';
/** A proxy's ServiceAccount token, bound to the manifests' railyard-reader, and one bound to nothing. */
const PROXY = { token: 'litellm-sa-token', user: 'system:serviceaccount:proxies:litellm' };
const STRANGER = { token: 'other-sa-token', user: 'system:serviceaccount:proxies:other' };

/** Binds the test user to exactly the manifests' ClusterRole and Role (as the ServiceAccount is). */
const BINDINGS = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: railyard-test-user}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: railyard}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ${OPERATOR_USER}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: railyard-test-user, namespace: railyard}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: railyard-leader-election}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ${OPERATOR_USER}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: litellm-reads-railyard}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: railyard-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: '${PROXY.user}'}]
`;

const policy = (name: string, guardrails: string[]) => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: ${name}}
spec:
  guardrails: {add: [${guardrails.join(', ')}]}
`;

type Doc = { kind: string; metadata: { name: string } };

/** `kubectl kustomize manifests/`: the operator's own objects (CRDs are applied from crds/ first). */
function renderManifests(kube: KubeApiServer): Promise<string> {
  return kubectlOk(kube, ['kustomize', join(REPO, 'manifests')]);
}

describeKube('the operator under the manifests’ RBAC, with two replicas', () => {
  let kube: KubeApiServer;
  let kubeconfig: string;
  const replicas: RailyardProcess[] = [];

  beforeAll(async () => {
    kube = await startKubeApiServer({
      extraTokens: [
        { token: OPERATOR_TOKEN, user: OPERATOR_USER, groups: [] },
        ...[PROXY, STRANGER].map((sa) => ({ ...sa, groups: ['system:serviceaccounts'] })),
      ],
    });
    kubeconfig = await kube.kubeconfig(OPERATOR_TOKEN);
    await installCrds(kube);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await kube?.stop();
  });

  const forbidden = (r: RailyardProcess) =>
    r.logs.filter(
      (l) => /forbidden|HTTP 403/i.test(JSON.stringify(l)) && l.level !== undefined && Number(l.level) >= 40,
    );

  test('the manifests render, apply, and grant exactly the verbs the operator uses', async () => {
    const rendered = await renderManifests(kube);
    const docs = loadAll(rendered) as Doc[];
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/railyard',
        'ClusterRole/railyard-reader',
        'ClusterRoleBinding/railyard',
        'Deployment/railyard',
        'Namespace/railyard',
        'PodDisruptionBudget/railyard',
        'Role/railyard-leader-election',
        'RoleBinding/railyard-leader-election',
        'Service/railyard',
        'ServiceAccount/railyard',
      ].sort(),
    );
    const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'railyard') as unknown as {
      rules: { verbs: string[]; resources: string[] }[];
    };
    expect(JSON.stringify(role.rules)).not.toContain('*');
    expect(role.rules.flatMap((r) => r.resources)).not.toContain('secrets');
    // policy/v1 PodDisruptionBudget is served from Kubernetes 1.21; the test API server is 1.20.
    const applicable = rendered
      .split(/^---$/m)
      .filter((d) => (load(d) as Doc | undefined)?.kind !== 'PodDisruptionBudget')
      .join('\n---\n');
    await kubectlOk(kube, ['apply', '--validate=false', '-f', '-'], applicable);
    await kubectlOk(kube, ['apply', '-f', '-'], BINDINGS);
    await kubectlOk(kube, ['apply', '-f', 'examples/']);
  });

  test('one operator with only those permissions syncs, writes status, versions, Events and its Lease', async () => {
    const a = await startOperator(kube, {
      kubeconfig,
      identity: 'replica-a',
      args: ['--lease-namespace', 'railyard'],
    });
    replicas.push(a);
    await a.waitForLog((l) => l.msg === 'became leader', 10_000);
    const p = await statusOf(
      kube,
      'policy',
      'healthcare-compliance',
      (o) => condition(o, 'Ready')?.status === 'True',
    );
    expect(p.status?.productionVersion).toBe(1);
    await statusOf(kube, 'policyattachment', 'finance-team', (o) => o.status?.policyHasProduction === false);
    const declared = JSON.parse(await kubectlOk(kube, ['get', 'policies', '-o', 'json'])) as { items: Doc[] };
    expect([...(await storedHistories(kube)).keys()].sort()).toEqual(
      declared.items.map((d) => d.metadata.name).sort(),
    );
    const events = JSON.parse(await kubectlOk(kube, ['get', 'events', '-o', 'json'])) as {
      items: { reason: string }[];
    };
    expect(events.items.map((e) => e.reason)).toContain('ReferenceNotFound');
    const lease = JSON.parse(
      await kubectlOk(kube, ['get', 'lease', 'railyard-leader', '-n', 'railyard', '-o', 'json']),
    );
    expect(lease.spec.holderIdentity).toBe('replica-a');
    expect(forbidden(a)).toEqual([]);
    const ready = await a.fetch('/readyz', { token: null });
    expect(ready.status).toBe(200);
  });

  test("a proxy's ServiceAccount token reads as RBAC allows it (TokenReview, SubjectAccessReview)", async () => {
    const [a] = replicas;
    if (!a) throw new Error('needs the previous test');
    const resolve = (token: string) => a.fetch('/v1/resolve?team_alias=healthcare-team', { token });
    const allowed = await resolve(PROXY.token);
    expect(allowed.status).toBe(200);
    expect(
      ((await allowed.json()) as { matched_policies: unknown[] }).matched_policies.length,
    ).toBeGreaterThan(0);
    // Remembered: the second request does not wait for the API server.
    expect((await resolve(PROXY.token)).status).toBe(200);
    const stranger = await resolve(STRANGER.token);
    expect(stranger.status).toBe(403);
    expect(JSON.stringify(await stranger.json())).toContain(
      `${STRANGER.user} may neither read nor change policies; grant it get (reader) or create (admin) on policies.railyard.dev`,
    );
    expect((await resolve('not-a-cluster-token')).status).toBe(401);
    const write = await a.fetch('/policies', {
      method: 'POST',
      token: PROXY.token,
      body: JSON.stringify({ policy_name: 'sneaky', guardrails_add: ['pii-mask'] }),
    });
    expect(write.status).toBe(403);
    const litellm = await a.fetch('/litellm/beta/litellm_basic_guardrail_api', {
      method: 'POST',
      token: null,
      headers: { 'x-api-key': PROXY.token },
      body: JSON.stringify({ input_type: 'request', texts: ['hello'], request_data: {} }),
    });
    expect(litellm.status).toBe(200);
    expect(forbidden(a)).toEqual([]);
  });

  test('two replicas: one leader writes; when it is killed the other takes over and both answered alike', async () => {
    const [a] = replicas;
    if (!a) throw new Error('needs the previous test');
    const b = await startOperator(kube, {
      kubeconfig,
      identity: 'replica-b',
      args: ['--lease-namespace', 'railyard'],
    });
    replicas.push(b);
    for (const q of ['', 'team_alias=healthcare-team', 'team_alias=finance', 'model=gpt-4o']) {
      expect(await resolveAnswer(b, q)).toEqual(await resolveAnswer(a, q));
    }
    // The follower observes the leader's writes: a new policy gets its version from the leader only.
    await kubectlOk(kube, ['apply', '-f', '-'], policy('failover', ['toxicity']));
    await statusOf(kube, 'policy', 'failover', (o) => o.status?.productionVersion === 1);
    const written = (r: RailyardProcess) => r.logs.filter((l) => l.msg === 'status written').length;
    expect(written(a)).toBeGreaterThan(0);
    expect(written(b)).toBe(0);
    expect(b.logs.some((l) => l.msg === 'became leader')).toBe(false);
    const ids = await eventually(async () => {
      const fromB = await b.json<{ policy_versions: unknown[] }>('/v1/resolve?team_alias=x');
      const fromA = await a.json<{ policy_versions: unknown[] }>('/v1/resolve?team_alias=x');
      return JSON.stringify(fromA.policy_versions) === JSON.stringify(fromB.policy_versions)
        ? fromA
        : undefined;
    });
    expect(ids.policy_versions.length).toBeGreaterThan(0);

    const killedAt = Date.now();
    await a.stop('SIGKILL');
    await b.waitForLog((l) => l.msg === 'became leader', 8_000);
    expect(Date.now() - killedAt).toBeLessThan(3_000 + 3_000); // lease duration plus a few retry periods
    await kubectlOk(kube, ['apply', '-f', '-'], policy('failover', ['toxicity', 'pii-mask']));
    const p = await statusOf(kube, 'policy', 'failover', (o) => o.status?.productionVersion === 2);
    expect(p.status?.resolvedGuardrails).toEqual(['pii-mask', 'toxicity']);
    const lease = JSON.parse(
      await kubectlOk(kube, ['get', 'lease', 'railyard-leader', '-n', 'railyard', '-o', 'json']),
    );
    expect(lease.spec.holderIdentity).toBe('replica-b');
    expect(forbidden(b)).toEqual([]);
  });

  test('two replicas with the same state give the same revision, ETags and attachment times', async () => {
    const b = replicas.at(-1);
    if (!b) throw new Error('needs the previous test');
    const c = await startOperator(kube, {
      kubeconfig,
      identity: 'replica-c',
      args: ['--lease-namespace', 'railyard'],
    });
    replicas.push(c);
    type Snapshot = { revision: number; attachments: { attachment_id: string; created_at: string }[] };
    const read = async (r: RailyardProcess, path: string) => {
      const res = await r.fetch(path);
      return { etag: res.headers.get('etag'), body: (await res.json()) as Snapshot };
    };
    const [fromB, fromC] = await eventually(async () => {
      const pair = await Promise.all([read(b, '/v1/snapshot'), read(c, '/v1/snapshot')]);
      return pair[0].etag === pair[1].etag ? pair : undefined;
    }, 10_000);
    expect(fromC.body.revision).toBe(fromB.body.revision);
    expect(fromC.body).toEqual(fromB.body);
    const attachment = fromB.body.attachments[0];
    expect(attachment?.created_at).toBeDefined();
    // The time is the object's creationTimestamp, not when a replica first saw it.
    const created = JSON.parse(
      await kubectlOk(kube, [
        'get',
        'policyattachment',
        attachment?.attachment_id ?? '',
        '-o',
        'jsonpath={.metadata.creationTimestamp}',
      ]).then((t) => JSON.stringify(t)),
    );
    expect(new Date(attachment?.created_at ?? 0).getTime()).toBe(new Date(created).getTime());
    for (const q of ['', 'team_alias=healthcare-team', 'model=gpt-4o']) {
      const [rb, rc] = await Promise.all([read(b, `/v1/resolve?${q}`), read(c, `/v1/resolve?${q}`)]);
      expect(rc.etag).toBe(rb.etag);
      // A proxy that moves between replicas keeps its 304s.
      const revalidated = await c.fetch(`/v1/resolve?${q}`, {
        headers: { 'if-none-match': String(rb.etag) },
      });
      expect(revalidated.status).toBe(304);
    }
  });
});
