/**
 * Shadow runs in Kubernetes mode, on a real API server: a Policy edited into a draft with
 * `spec.shadow` runs beside production on live calls, its status (and `kubectl get`'s Shadow
 * column) shows the version and its agreement, and removing the field ends the shadow. The API
 * cannot start a shadow in this mode (405).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, postLitellm, type RailyardProcess } from '../support/railyard-process.ts';
import {
  condition,
  getObject,
  kubectlOk,
  startKubeForOperator,
  startOperator,
  statusOf,
} from './operator-support.ts';

const CATALOG = `
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: pii-mask}
spec: {type: pii, config: {entities: [EMAIL], action: mask}}
---
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: words}
spec: {type: keywords, config: {words: [falcon]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: support}
spec: {policy: support, teams: [support]}
`;

const POLICY = (spec: string) => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: support}
spec: ${spec}
`;

type Shadowed = {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    shadow?: { version: number; running: boolean; runs: number; agreement?: number; state: string };
  };
};

describeKube('shadow runs in Kubernetes mode', () => {
  let kube: KubeApiServer;
  let operator: RailyardProcess;

  beforeAll(async () => {
    kube = await startKubeForOperator();
    await kubectlOk(kube, ['apply', '-f', '-'], `${CATALOG}---${POLICY('{guardrails: {add: [pii-mask]}}')}`);
    operator = await startOperator(kube, {
      identity: 'shadow-a',
      args: ['--shadow-status-interval', '300ms'],
    });
    await operator.waitForLog((l) => l.msg === 'became leader', 10_000);
    await statusOf(kube, 'policy', 'support', (o) => condition(o, 'Ready')?.status === 'True');
  });
  afterAll(async () => {
    await operator?.stop('SIGKILL');
    await kube?.stop();
  });

  const call = async (text: string) => {
    const res = await postLitellm(operator, text, { team: 'support' });
    return ((await res.json()) as { action: string }).action;
  };
  const policy = async () => (await getObject(kube, 'policy', 'support')) as unknown as Shadowed;

  test('a draft with spec.shadow runs beside production; the status shows its agreement', async () => {
    await kubectlOk(
      kube,
      ['apply', '-f', '-'],
      POLICY('{guardrails: {add: [pii-mask, words]}, versionStatus: draft, shadow: {sampleRate: 1}}'),
    );
    const started = await eventually(async () => {
      const o = await policy();
      return o.status?.observedGeneration === o.metadata.generation && o.status?.shadow ? o : undefined;
    }, 15_000);
    expect(started.status?.shadow).toMatchObject({
      version: 2,
      running: true,
      runs: 0,
      state: 'v2 no run yet',
    });

    expect(await call('hello')).toBe('NONE');
    expect(await call('falcon sighting')).toBe('NONE'); // production answers; the draft would block
    const counted = await eventually(async () => {
      const o = await policy();
      return o.status?.shadow?.runs === 2 ? o : undefined;
    }, 15_000);
    expect(counted.status?.shadow).toMatchObject({ agreement: 0.5, state: 'v2 50% of 2' });
    const table = await kubectlOk(kube, ['get', 'policy', 'support']);
    expect(table.split('\n')[0]).toMatch(/\bSHADOW\b/);
    expect(table).toContain('v2 50% of 2');
    const report = await operator.json<{
      shadows: { version_number: number; results: Record<string, number> }[];
    }>('/v1/shadow');
    expect(report.shadows[0]).toMatchObject({ version_number: 2, results: { would_block: 1, agree: 1 } });
  });

  test('the API cannot start a shadow in Kubernetes mode', async () => {
    const versions = await operator.json<{ versions: { policy_id: string }[] }>(
      '/policies/name/support/versions',
    );
    const res = await operator.fetch(`/policies/${versions.versions[0]?.policy_id}/shadow`, {
      method: 'POST',
      body: JSON.stringify({ sample_rate: 1 }),
    });
    expect(res.status).toBe(405);
  });

  test('removing spec.shadow ends the shadow', async () => {
    await kubectlOk(
      kube,
      ['apply', '-f', '-'],
      POLICY('{guardrails: {add: [pii-mask, words]}, versionStatus: draft}'),
    );
    await eventually(async () => {
      const o = await policy();
      return o.status?.observedGeneration === o.metadata.generation && o.status?.shadow === undefined
        ? o
        : undefined;
    }, 15_000);
    const report = await operator.json<{ shadows: { active: boolean; runs: number }[] }>('/v1/shadow');
    expect(report.shadows[0]).toMatchObject({ active: false, runs: 2 });
    await call('falcon again');
    expect((await operator.json<{ shadows: { runs: number }[] }>('/v1/shadow')).shadows[0]?.runs).toBe(2);
  });
});
