/**
 * Readiness that outlives the API server, and a replica that can never lead saying so. Two
 * replicas on a real API server: the API server is stopped for longer than the old 30 s readiness
 * limit and started again on the same port with the same etcd; a third replica runs without
 * access to the Lease.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess } from '../support/railyard-process.ts';
import {
  kubectlOk,
  OPERATOR_NAMESPACE,
  resolveAnswer,
  startKubeForOperator,
  startOperator,
} from './operator-support.ts';

/** A ServiceAccount with everything the operator needs except the Lease. */
const NO_LEASE = {
  token: 'no-lease-token',
  user: `system:serviceaccount:${OPERATOR_NAMESPACE}:no-lease`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`, 'system:authenticated'],
};
const NO_LEASE_RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: no-lease}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: railyard}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: '${NO_LEASE.user}'}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: histories-only, namespace: ${OPERATOR_NAMESPACE}}
rules: [{apiGroups: [''], resources: [configmaps], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: no-lease, namespace: ${OPERATOR_NAMESPACE}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: histories-only}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: '${NO_LEASE.user}'}]
`;

type Reconcile = {
  source_trouble: { since: string; stale_seconds: number; message: string } | null;
  leader: {
    identity: string | null;
    this_replica: boolean;
    since: string | null;
    unknown_since: string | null;
    unknown_seconds: number | null;
    error: string | null;
  } | null;
};

const reconcileOf = async (r: RailyardProcess) =>
  (await r.json<{ reconcile: Reconcile }>('/v1/status')).reconcile;

async function metric(r: RailyardProcess, name: string): Promise<number> {
  const text = await (await r.fetch('/metrics', { token: null })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

const QUERY = 'team_alias=healthcare-team';

describeKube('the operator without the API server, and without the Lease', () => {
  let kube: KubeApiServer;
  const replicas: RailyardProcess[] = [];

  beforeAll(async () => {
    kube = await startKubeForOperator([NO_LEASE]);
    await kubectlOk(kube, ['apply', '-f', 'examples/']);
    await kubectlOk(kube, ['apply', '-f', '-'], NO_LEASE_RBAC);
    const a = await startOperator(kube, { identity: 'replica-a' });
    replicas.push(a);
    await a.waitForLog((l) => l.msg === 'became leader', 10_000);
    replicas.push(await startOperator(kube, { identity: 'replica-b' }));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await kube?.stop();
  });

  test('a replica that cannot use the Lease warns with the RBAC it needs and reports no leader', async () => {
    const c = await startOperator(kube, {
      identity: 'replica-c',
      kubeconfig: await kube.kubeconfig(NO_LEASE.token),
    });
    replicas.push(c);
    const warning = await c.waitForLog(
      (l) => Number(l.level) === 40 && String(l.msg).startsWith('cannot use the leader Lease'),
      10_000,
    );
    expect(warning.msg).toContain('HTTP 403');
    expect(warning.msg).toContain(
      `grant this replica's ServiceAccount get, create and update on leases.coordination.k8s.io in namespace "${OPERATOR_NAMESPACE}"`,
    );
    // It serves (it has synced) and says that nobody is known to lead, for how long and why.
    expect((await c.fetch('/readyz', { token: null })).status).toBe(200);
    expect(await resolveAnswer(c, QUERY)).toEqual(await resolveAnswer(replicas[0] as RailyardProcess, QUERY));
    const seen = await eventually(async () => {
      const r = await reconcileOf(c);
      return (r.leader?.unknown_seconds ?? 0) >= 2 ? r.leader : undefined;
    }, 10_000);
    expect(seen).toMatchObject({ identity: null, this_replica: false, since: null });
    expect(seen?.error).toContain('HTTP 403');
    expect(await metric(c, 'railyard_leader_unknown_seconds')).toBeGreaterThanOrEqual(2);
    // The replicas that can read the Lease know the leader.
    expect((await reconcileOf(replicas[0] as RailyardProcess)).leader).toMatchObject({
      identity: 'replica-a',
      this_replica: true,
      unknown_since: null,
    });
    expect((await reconcileOf(replicas[1] as RailyardProcess)).leader).toMatchObject({
      identity: 'replica-a',
      this_replica: false,
    });
    expect(await metric(replicas[1] as RailyardProcess, 'railyard_leader_unknown_seconds')).toBe(0);
    // One warning, not one per retry (every 0.5–1.1 s here).
    expect(c.logs.filter((l) => String(l.msg).startsWith('cannot use the leader Lease'))).toHaveLength(1);
    await c.stop();
    replicas.pop();
  }, 30_000);

  test('the API server stops for 35 s and comes back: both replicas stay ready and answering, say how stale, and recover', async () => {
    const [a, b] = replicas as [RailyardProcess, RailyardProcess];
    const want = await resolveAnswer(a, QUERY);
    expect(await resolveAnswer(b, QUERY)).toEqual(want);
    const seen: { readyz: number; resolve: number; same: boolean }[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        for (const r of [a, b]) {
          const ready = await r.fetch('/readyz', { token: null });
          const res = await r.fetch(`/v1/resolve?${QUERY}`);
          const body = res.status === 200 ? await res.json() : undefined;
          const { revision: _r, policy_versions: _p, ...rest } = (body ?? {}) as Record<string, unknown>;
          const { revision: _w, policy_versions: _q, ...wanted } = want as Record<string, unknown>;
          seen.push({
            readyz: ready.status,
            resolve: res.status,
            same: JSON.stringify(rest) === JSON.stringify(wanted),
          });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    await kube.stopApiServer();
    const stoppedAt = Date.now();
    // Past the informers' first failures, the view is stale, and says since when.
    const stale = await eventually(async () => {
      const r = await reconcileOf(b);
      return (r.source_trouble?.stale_seconds ?? 0) >= 3 ? r.source_trouble : undefined;
    }, 15_000);
    expect(Date.parse(stale?.since ?? '')).toBeGreaterThanOrEqual(stoppedAt - 1_000);
    expect(stale?.message).toContain('check that the API server is reachable');
    expect(await metric(b, 'railyard_source_stale_seconds')).toBeGreaterThanOrEqual(3);
    // Nobody can renew the Lease: the leader steps down and no replica knows of one.
    await a.waitForLog((l) => l.msg === 'stopped leading', 10_000);
    await eventually(
      async () => ((await reconcileOf(b)).leader?.identity === null ? true : undefined),
      10_000,
    );
    // Longer than the 30 s after which every replica used to turn unready together.
    await new Promise((r) => setTimeout(r, Math.max(0, 35_000 - (Date.now() - stoppedAt))));
    expect((await reconcileOf(a)).source_trouble?.stale_seconds).toBeGreaterThanOrEqual(30);

    await kube.startApiServer();
    const back = Date.now();
    for (const r of [a, b]) {
      await eventually(
        async () => ((await reconcileOf(r)).source_trouble === null ? true : undefined),
        30_000,
      );
      expect(await metric(r, 'railyard_source_stale_seconds')).toBe(0);
    }
    const recovered = Date.now() - back;
    polling = false;
    await poll;
    expect(seen.length).toBeGreaterThan(100);
    expect(seen.filter((s) => s.readyz !== 200)).toEqual([]);
    expect(seen.filter((s) => s.resolve !== 200 || !s.same)).toEqual([]);
    expect(recovered).toBeLessThan(20_000); // informer backoff is capped at 10 s

    // A leader again, and edits take effect on both replicas.
    await eventually(async () => {
      const views = await Promise.all([a, b].map(reconcileOf));
      return views.every((v) => v.leader?.identity) ? true : undefined;
    }, 15_000);
    await kubectlOk(kube, [
      'patch',
      'policy',
      'healthcare-compliance',
      '--type=merge',
      '-p',
      '{"spec":{"guardrails":{"add":["phi-detector","pii-mask","prompt-injection","max-prompt"]}}}',
    ]);
    for (const r of [a, b]) {
      await eventually(async () => {
        const answer = await r.json<{ effective_guardrails: string[] }>(`/v1/resolve?${QUERY}`);
        return answer.effective_guardrails.includes('max-prompt') ? true : undefined;
      }, 15_000);
    }
  }, 120_000);
});
