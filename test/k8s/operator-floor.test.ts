/**
 * GuardrailFloors on a real API server, under the manifests' RBAC: a floor that selects namespaces
 * by label (the operator watches Namespaces, read-only), its status written on the cluster-scoped
 * status subresource, a team's removal ignored, a label change followed; and who may write floors
 * (`kubectl auth can-i`).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess } from '../support/railyard-process.ts';
import {
  condition,
  getObject,
  kubectlOk,
  OPERATOR_SA,
  startKubeForOperator,
  startOperator,
  statusOf,
} from './operator-support.ts';

/**
 * A namespace owner (every verb on everything in team-a, and nothing outside it) and a platform
 * admin. The built-in `admin` role is aggregated by the controller manager, which a bare API server
 * lacks: the owner's Role spells out the same reach.
 */
const OWNER = { token: 'team-a-owner-token', user: 'alice', groups: ['system:authenticated'] };
const PLATFORM = { token: 'platform-admin-token', user: 'pat', groups: ['system:authenticated'] };

const BINDINGS = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: owner, namespace: team-a}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-owner, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: owner}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pat-floors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: railyard-floor-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: pat}]
`;

const namespace = (name: string, labels: Record<string, string>) => `
apiVersion: v1
kind: Namespace
metadata: {name: ${name}, labels: ${JSON.stringify(labels)}}
`;

const team = (ns: string) => `
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: pii-mask, namespace: ${ns}}
spec: {type: pii, config: {entities: [EMAIL], action: mask}}
---
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: tox, namespace: ${ns}}
spec: {type: keywords, config: {words: [darn]}}
---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: baseline, namespace: ${ns}}
spec: {guardrails: {add: [pii-mask, tox]}}
---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: analytics, namespace: ${ns}}
spec: {inherit: baseline, guardrails: {remove: [pii-mask]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: analytics, namespace: ${ns}}
spec: {policy: analytics, teams: [analytics]}
`;

const FLOOR = `
apiVersion: railyard.dev/v1alpha1
kind: GuardrailFloor
metadata: {name: pii-everywhere}
spec:
  description: PII masking wherever the data is regulated
  guardrails: [pii-mask]
  namespaceSelector:
    matchLabels: {railyard.dev/pii: required}
`;

type FloorObject = {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    namespaceCount?: number;
    namespaces?: string[];
    missingGuardrails?: { namespace: string; guardrails: string[] }[];
  };
};

describeKube('GuardrailFloor in Kubernetes mode', () => {
  let kube: KubeApiServer;
  let operator: RailyardProcess;

  beforeAll(async () => {
    kube = await startKubeForOperator([OWNER, PLATFORM]);
    await kubectlOk(kube, ['apply', '-f', '-'], namespace('team-a', { 'railyard.dev/pii': 'required' }));
    await kubectlOk(kube, ['apply', '-f', '-'], namespace('team-b', {}));
    await kubectlOk(kube, ['apply', '-f', '-'], BINDINGS);
    await kubectlOk(kube, ['apply', '-f', '-'], `${team('team-a')}---${team('team-b')}`);
  });
  afterAll(async () => {
    await operator?.stop('SIGKILL');
    await kube?.stop();
  });

  const can = async (who: { user: string; groups: readonly string[] }, args: readonly string[]) =>
    (
      await kube.kubectl([
        'auth',
        'can-i',
        ...args,
        `--as=${who.user}`,
        ...who.groups.map((g) => `--as-group=${g}`),
      ])
    ).stdout.trim();

  test('kubectl auth can-i: platform admins write floors; a namespace owner only reads them; the operator reads and reports', async () => {
    for (const verb of ['create', 'update', 'patch', 'delete'])
      expect(await can(OWNER, [verb, 'guardrailfloors.railyard.dev']), `owner ${verb}`).toBe('no');
    // The owner may do anything in team-a (bindings reach the authorizer's cache after a moment).
    await eventually(async () =>
      (await can(OWNER, ['create', 'policies.railyard.dev', '-n', 'team-a'])) === 'yes' ? true : undefined,
    );
    for (const verb of ['get', 'list', 'watch'])
      expect(await can(OWNER, [verb, 'guardrailfloors.railyard.dev']), `owner ${verb}`).toBe('yes');
    for (const verb of ['create', 'update', 'patch', 'delete'])
      expect(await can(PLATFORM, [verb, 'guardrailfloors.railyard.dev']), `platform ${verb}`).toBe('yes');
    expect(await can(OPERATOR_SA, ['list', 'guardrailfloors.railyard.dev'])).toBe('yes');
    expect(await can(OPERATOR_SA, ['patch', 'guardrailfloors.railyard.dev', '--subresource=status'])).toBe(
      'yes',
    );
    expect(await can(OPERATOR_SA, ['create', 'guardrailfloors.railyard.dev'])).toBe('no');
    expect(await can(OPERATOR_SA, ['watch', 'namespaces'])).toBe('yes');
    expect(await can(OPERATOR_SA, ['patch', 'namespaces'])).toBe('no');
  });

  test('a namespace owner cannot create a floor; the platform admin can', async () => {
    const denied = await kube.kubectl(['apply', '-f', '-'], { token: OWNER.token, input: FLOOR });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden/i);
    const applied = await kube.kubectl(['apply', '-f', '-'], { token: PLATFORM.token, input: FLOOR });
    expect(applied.code, applied.stderr).toBe(0);
  });

  test('the operator selects namespaces by label, writes the floor status, and ignores the team removal', async () => {
    operator = await startOperator(kube, { identity: 'floor-a' });
    await operator.waitForLog((l) => l.msg === 'became leader', 10_000);
    const floor = (await eventually(async () => {
      const o = (await getObject(kube, 'guardrailfloor', 'pii-everywhere')) as unknown as FloorObject;
      return o.status?.observedGeneration === o.metadata.generation &&
        condition(o as never, 'Ready')?.status === 'True'
        ? o
        : undefined;
    }, 15_000)) as FloorObject;
    expect(floor.status).toMatchObject({ namespaceCount: 1, namespaces: ['team-a'], missingGuardrails: [] });

    const fin = await operator.json<{ effective_guardrails: string[]; floor: unknown }>(
      '/v1/resolve?namespace=team-a&team_alias=analytics',
    );
    expect(fin).toMatchObject({
      effective_guardrails: ['pii-mask', 'tox'],
      floor: [{ guardrail: 'pii-mask', floor_name: 'pii-everywhere' }],
    });
    const other = await operator.json<{ effective_guardrails: string[] }>(
      '/v1/resolve?namespace=team-b&team_alias=analytics',
    );
    expect(other.effective_guardrails).toEqual(['tox']);

    const policy = await statusOf(
      kube,
      'policy',
      'analytics',
      (o) => (condition(o, 'Accepted')?.message ?? '').includes('mandatory'),
      15_000,
      'team-a',
    );
    expect(condition(policy, 'Accepted')).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(condition(policy, 'Accepted')?.message).toContain(
      '`pii-mask` is mandatory in namespace team-a (GuardrailFloor "pii-everywhere"): its removal has no effect',
    );
    expect(policy.status?.resolvedGuardrails).toEqual(['pii-mask', 'tox']);

    const table = await kubectlOk(kube, ['get', 'floor']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+GUARDRAILS\s+NAMESPACES\s+READY\s+AGE/);
    expect(table).toMatch(/pii-everywhere\s+\["pii-mask"\]\s+1\s+True/);
  });

  test('a label added to a namespace brings it under the floor; its missing guardrail is reported', async () => {
    await kubectlOk(kube, ['delete', 'guardrail', 'pii-mask', '-n', 'team-b']);
    await kubectlOk(kube, ['label', 'namespace', 'team-b', 'railyard.dev/pii=required']);
    const floor = (await eventually(async () => {
      const o = (await getObject(kube, 'guardrailfloor', 'pii-everywhere')) as unknown as FloorObject;
      return o.status?.namespaceCount === 2 ? o : undefined;
    }, 15_000)) as FloorObject;
    expect(floor.status?.namespaces).toEqual(['team-a', 'team-b']);
    expect(floor.status?.missingGuardrails).toEqual([{ namespace: 'team-b', guardrails: ['pii-mask'] }]);
    expect(floor.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'GuardrailNotFound',
    });
    const b = await operator.json<{ floor: unknown[] }>('/v1/resolve?namespace=team-b');
    expect(b.floor).toEqual([{ guardrail: 'pii-mask', floor_name: 'pii-everywhere' }]);
  });
});
