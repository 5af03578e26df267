import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess } from '../support/railyard-process.ts';
import {
  condition,
  kubectlOk,
  OPERATOR_NAMESPACE,
  OPERATOR_SA,
  renderManifests,
  resolveAnswer,
  startKubeForOperator,
  startOperator,
  statusOf,
  storedHistories,
  yamlDocs,
} from './operator-support.ts';

/** A proxy's ServiceAccount token, bound to the manifests' railyard-reader, and one bound to nothing. */
const PROXY = { token: 'litellm-sa-token', user: 'system:serviceaccount:proxies:litellm' };
const STRANGER = { token: 'other-sa-token', user: 'system:serviceaccount:proxies:other' };

/** What a cluster admin adds for the proxies: railyard-reader for LiteLLM's ServiceAccount. */
const PROXY_BINDING = `
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

/** `kubectl auth can-i` as the operator's ServiceAccount (its user and groups): "yes" or "no". */
async function operatorCan(kube: KubeApiServer, args: readonly string[]): Promise<string> {
  const r = await kube.kubectl([
    'auth',
    'can-i',
    ...args,
    `--as=${OPERATOR_SA.user}`,
    ...OPERATOR_SA.groups.map((g) => `--as-group=${g}`),
  ]);
  return r.stdout.trim();
}

const WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection'];

describeKube('the operator under the manifests’ RBAC, with two replicas', () => {
  let kube: KubeApiServer;
  const replicas: RailyardProcess[] = [];

  beforeAll(async () => {
    kube = await startKubeForOperator(
      [PROXY, STRANGER].map((sa) => ({ ...sa, groups: ['system:serviceaccounts'] })),
    );
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await kube?.stop();
  });

  const forbidden = (r: RailyardProcess) =>
    r.logs.filter(
      (l) => /forbidden|HTTP 403/i.test(JSON.stringify(l)) && l.level !== undefined && Number(l.level) >= 40,
    );

  test('the manifests render (kubectl kustomize, offline), apply, and grant exactly the verbs the operator uses', async () => {
    const rendered = await renderManifests(kube);
    const docs = yamlDocs(rendered);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/railyard',
        'ClusterRole/railyard-floor-admin',
        'ClusterRole/railyard-floor-viewer',
        'ClusterRole/railyard-reader',
        'ClusterRoleBinding/railyard',
        'ClusterRoleBinding/railyard-floor-viewer',
        'Deployment/railyard',
        'Namespace/railyard',
        'PodDisruptionBudget/railyard',
        'Role/railyard',
        'RoleBinding/railyard',
        'Service/railyard',
        'ServiceAccount/railyard',
      ].sort(),
    );
    const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'railyard') as unknown as {
      rules: { apiGroups: string[]; verbs: string[]; resources: string[] }[];
    };
    expect(JSON.stringify(role.rules)).not.toContain('*');
    expect(role.rules.flatMap((r) => r.resources)).not.toContain('secrets');
    // The one core-group rule cluster-wide reads Namespaces (floor selectors read their labels):
    // ConfigMaps and Leases are the Role's, in its namespace.
    expect(role.rules.filter((r) => r.apiGroups.includes(''))).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    // policy/v1 PodDisruptionBudget is served from Kubernetes 1.21; the test API server is 1.20.
    const applicable = rendered
      .split(/^---$/m)
      .filter((d) => yamlDocs(d)[0]?.kind !== 'PodDisruptionBudget')
      .join('\n---\n');
    await kubectlOk(kube, ['apply', '--validate=false', '-f', '-'], applicable);
    await kubectlOk(kube, ['apply', '-f', '-'], PROXY_BINDING);
    await kubectlOk(kube, ['apply', '-f', 'examples/']);
  });

  test('kubectl auth can-i: no write to any core object outside the operator’s namespace', async () => {
    for (const ns of ['kube-system', 'default']) {
      for (const verb of ['create', 'update', 'delete'])
        expect(await operatorCan(kube, [verb, 'configmaps', '-n', ns]), `${verb} configmaps -n ${ns}`).toBe(
          'no',
        );
      for (const resource of [
        'secrets',
        'events',
        'pods',
        'services',
        'serviceaccounts',
        'leases.coordination.k8s.io',
      ])
        for (const verb of WRITES)
          expect(await operatorCan(kube, [verb, resource, '-n', ns]), `${verb} ${resource} -n ${ns}`).toBe(
            'no',
          );
      // Every rule the ServiceAccount has there: no core resource with a write verb.
      const rules = await kube.kubectl([
        'auth',
        'can-i',
        '--list',
        '-n',
        ns,
        `--as=${OPERATOR_SA.user}`,
        ...OPERATOR_SA.groups.map((g) => `--as-group=${g}`),
      ]);
      const coreWrites = rules.stdout
        .split('\n')
        .slice(1)
        .map((line) => /^(\S+)\s+\[.*?\]\s+\[.*?\]\s+\[(.*)\]\s*$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null && !(m[1] ?? '').includes('.'))
        .filter((m) => (m[2] ?? '').split(' ').some((v) => WRITES.includes(v) || v === '*'));
      expect(
        coreWrites.map((m) => m[0]),
        ns,
      ).toEqual([]);
    }
    for (const resource of ['namespaces', 'nodes', 'persistentvolumes'])
      for (const verb of WRITES)
        expect(await operatorCan(kube, [verb, resource]), `${verb} ${resource}`).toBe('no');
    // What it does need, it has: its own ConfigMaps and Lease, and Events through events.k8s.io.
    for (const verb of ['create', 'update', 'delete'])
      expect(await operatorCan(kube, [verb, 'configmaps', '-n', OPERATOR_NAMESPACE])).toBe('yes');
    expect(await operatorCan(kube, ['update', 'leases.coordination.k8s.io', '-n', OPERATOR_NAMESPACE])).toBe(
      'yes',
    );
    expect(await operatorCan(kube, ['create', 'events.events.k8s.io', '-n', 'default'])).toBe('yes');
    expect(await operatorCan(kube, ['create', 'events', '-n', 'default'])).toBe('no');
  });

  test('one operator with only those permissions syncs, writes status, versions, Events and its Lease', async () => {
    const a = await startOperator(kube, { identity: 'replica-a' });
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
    const declared = JSON.parse(await kubectlOk(kube, ['get', 'policies', '-o', 'json'])) as {
      items: { metadata: { name: string } }[];
    };
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
    const b = await startOperator(kube, { identity: 'replica-b' });
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
    const c = await startOperator(kube, { identity: 'replica-c' });
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
