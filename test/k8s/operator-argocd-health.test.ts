/**
 * examples/argocd/health.lua on the statuses the real operator writes (the pure cases are in
 * test/unit/examples/argocd-health.test.ts): what Argo CD would show for each kind of object.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { argoHealth } from '../support/argocd-health.ts';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import type { RailyardProcess } from '../support/railyard-process.ts';
import { condition, kubectlOk, startKubeForOperator, startOperator, statusOf } from './operator-support.ts';

const EXTRA = `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: orphan}
spec: {inherit: no-such-parent, guardrails: {add: [pii-mask]}}
---
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: broken-length}
spec: {type: max_length, mode: pre_call, failurePolicy: closed, config: {}}
---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: uses-broken}
spec: {guardrails: {add: [broken-length]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: dangling}
spec: {policy: not-yet-there, teams: [t]}
`;

const CASES = [
  { note: 'a policy in production', resource: 'policy', name: 'global-baseline', want: 'Healthy' },
  {
    note: 'a draft policy (not Progressing forever)',
    resource: 'policy',
    name: 'finance-strict',
    want: 'Healthy',
  },
  {
    note: 'an attachment of that draft',
    resource: 'policyattachment',
    name: 'finance-team',
    want: 'Healthy',
  },
  { note: 'a policy whose parent is missing', resource: 'policy', name: 'orphan', want: 'Degraded' },
  { note: 'an invalid guardrail', resource: 'guardrail', name: 'broken-length', want: 'Degraded' },
  { note: 'a policy using that guardrail', resource: 'policy', name: 'uses-broken', want: 'Degraded' },
  {
    note: 'an attachment of a policy not there yet',
    resource: 'policyattachment',
    name: 'dangling',
    want: 'Progressing',
  },
  { note: 'a valid guardrail', resource: 'guardrail', name: 'pii-mask', want: 'Healthy' },
] as const;

describeKube('examples/argocd/health.lua on what the operator writes', () => {
  let kube: KubeApiServer;
  let operator: RailyardProcess;

  beforeAll(async () => {
    kube = await startKubeForOperator();
    await kubectlOk(kube, ['apply', '-f', 'examples/']);
    await kubectlOk(kube, ['apply', '-f', '-'], EXTRA);
    operator = await startOperator(kube);
  });
  afterAll(async () => {
    await operator?.stop();
    await kube?.stop();
  });

  for (const c of CASES) {
    test(`${c.note}: ${c.want}`, async () => {
      const o = await statusOf(kube, c.resource, c.name, (x) => condition(x, 'Ready') !== undefined);
      const health = argoHealth(o);
      expect(health.status, JSON.stringify(o.status?.conditions)).toBe(c.want);
      expect(health.message).not.toBe('');
    });
  }
});
