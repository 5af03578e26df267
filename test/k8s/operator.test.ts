import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import {
  condition,
  getObject,
  kubectlOk,
  OPERATOR_NAMESPACE,
  resolveAnswer,
  startKubeForOperator,
  startOperator,
  statusOf,
  storedHistories,
} from './operator-support.ts';

const CONTEXTS = [
  { note: 'nobody in particular: the global baseline', query: '' },
  { note: 'a healthcare team', query: 'team_alias=healthcare-team' },
  { note: 'a medical-* team on gpt-4', query: 'team_alias=medical-records&model=gpt-4o' },
  { note: 'finance (a draft policy: baseline only)', query: 'team_alias=finance' },
  { note: 'a support bot by key and tag', query: 'key_alias=support-bot-1&tags=support' },
];

const INVALID_POLICY = `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: orphan}
spec:
  inherit: no-such-parent
  guardrails: {add: [toxicity]}
`;

const lifecyclePolicy = (guardrails: string[], versionStatus: string) => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: lifecycle}
spec:
  guardrails: {add: [${guardrails.join(', ')}]}
  versionStatus: ${versionStatus}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: lifecycle-team}
spec:
  policy: lifecycle
  teams: [lifecycle-team]
`;

describeKube('railyard serve --kubernetes on a real API server', () => {
  let kube: KubeApiServer;
  let operator: RailyardProcess;
  let directory: RailyardProcess;

  beforeAll(async () => {
    kube = await startKubeForOperator();
    await kubectlOk(kube, ['apply', '-f', 'examples/']);
    [operator, directory] = await Promise.all([
      startOperator(kube),
      startRailyard({ args: ['--dir', 'examples'] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([operator?.stop(), directory?.stop()]);
    await kube?.stop();
  });

  test('kubectl get shows the reconciled versions and conditions in the printer columns', async () => {
    const baseline = await statusOf(
      kube,
      'policy',
      'global-baseline',
      (o) => condition(o, 'Ready')?.status === 'True',
    );
    expect(baseline.status).toMatchObject({
      latestVersion: 1,
      productionVersion: 1,
      resolvedGuardrails: ['prompt-injection', 'secrets-scan', 'toxicity'],
    });
    expect(condition(baseline, 'Accepted')).toMatchObject({ status: 'True', reason: 'Valid' });
    const draft = await statusOf(kube, 'policy', 'finance-strict', (o) => o.status?.latestVersion === 1);
    expect(condition(draft, 'Ready')).toMatchObject({ status: 'False', reason: 'NoProductionVersion' });
    expect(draft.status?.productionVersion).toBeUndefined();
    await statusOf(kube, 'policyattachment', 'finance-team', (o) => o.status?.policyHasProduction === false);
    await statusOf(kube, 'guardrail', 'pii-mask', (o) => condition(o, 'Ready')?.status === 'True');

    const table = await kubectlOk(kube, ['get', 'policies']);
    const rows = table.trim().split('\n');
    expect(rows[0]).toMatch(
      /^NAME\s+STAGE\s+LATEST\s+PRODUCTION\s+READY\s+REASON\s+DEGRADED\s+SHADOW\s+AGE$/,
    );
    expect(rows.find((r) => r.startsWith('global-baseline '))).toMatch(
      /^global-baseline\s+1\s+1\s+True\s+InProduction\s+False\s/,
    );
    expect(rows.find((r) => r.startsWith('finance-strict '))).toMatch(
      /^finance-strict\s+draft\s+1\s+False\s+NoProductionVersion\s/,
    );
    const attachments = await kubectlOk(kube, ['get', 'policyattachments']);
    expect(attachments).toMatch(/healthcare-teams\s+healthcare-compliance\s+100\s+True/);
    const guardrails = await kubectlOk(kube, ['get', 'guardrails']);
    expect(guardrails).toMatch(/pii-mask\s+pii\s+pre_call\s+closed\s+True/);
  });

  for (const c of CONTEXTS) {
    test(`GET /v1/resolve answers as directory mode: ${c.note}`, async () => {
      expect(await resolveAnswer(operator, c.query)).toEqual(await resolveAnswer(directory, c.query));
    });
  }

  test('an invalid object gets Accepted=False with the message while the valid ones keep serving', async () => {
    await kubectlOk(kube, ['apply', '-f', '-'], INVALID_POLICY);
    const orphan = await statusOf(
      kube,
      'policy',
      'orphan',
      (o) => condition(o, 'Accepted')?.status === 'False',
    );
    expect(condition(orphan, 'Accepted')?.message).toMatch(/spec\.inherit: .*no-such-parent/);
    expect(condition(orphan, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    const events = await kubectlOk(kube, [
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=orphan',
      '-o',
      'json',
    ]);
    expect((JSON.parse(events) as { items: { reason: string; type: string }[] }).items).toContainEqual(
      expect.objectContaining({ reason: 'InvalidSpec', type: 'Warning' }),
    );
    expect(await resolveAnswer(operator, 'team_alias=healthcare-team')).toEqual(
      await resolveAnswer(directory, 'team_alias=healthcare-team'),
    );
    await kubectlOk(kube, ['delete', 'policy', 'orphan']);
  });

  test('edit, promote, revert and delete a Policy: versions, status and resolution follow', async () => {
    const resolved = () =>
      operator.json<{ effective_guardrails: string[]; matched_policies: { policy_name: string }[] }>(
        '/v1/resolve?team_alias=lifecycle-team',
      );
    const guardrailsFor = async () => (await resolved()).effective_guardrails;
    const matched = async () => (await resolved()).matched_policies.map((m) => m.policy_name);
    await kubectlOk(kube, ['apply', '-f', '-'], lifecyclePolicy(['toxicity'], 'production'));
    let p = await statusOf(kube, 'policy', 'lifecycle', (o) => o.status?.productionVersion === 1);
    expect(await matched()).toContain('lifecycle');

    // A new content as a draft: version 2 recorded, production stays at 1.
    await kubectlOk(kube, ['apply', '-f', '-'], lifecyclePolicy(['pii-mask'], 'draft'));
    p = await statusOf(kube, 'policy', 'lifecycle', (o) => o.status?.latestVersion === 2);
    expect(p.status?.productionVersion).toBe(1);
    expect(await guardrailsFor()).not.toContain('pii-mask');

    // The change of versionStatus is the promotion.
    await kubectlOk(kube, ['apply', '-f', '-'], lifecyclePolicy(['pii-mask'], 'production'));
    p = await statusOf(kube, 'policy', 'lifecycle', (o) => o.status?.productionVersion === 2);
    expect(p.status?.resolvedGuardrails).toContain('pii-mask');
    await eventually(async () => ((await guardrailsFor()).includes('pii-mask') ? true : undefined));
    const cm = await getObject(kube, 'configmap', 'railyard-policy-default.lifecycle', OPERATOR_NAMESPACE);
    expect(cm.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'railyard',
      'railyard.dev/policy-namespace': 'default',
      'railyard.dev/policy': 'lifecycle',
      'railyard.dev/production-version': '2',
    });

    // Reverting to the old content re-uses version 1.
    await kubectlOk(kube, ['apply', '-f', '-'], lifecyclePolicy(['toxicity'], 'production'));
    p = await statusOf(kube, 'policy', 'lifecycle', (o) => o.status?.productionVersion === 1);
    expect(p.status?.latestVersion).toBe(2);
    const events = JSON.parse(
      await kubectlOk(kube, [
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=lifecycle',
        '-o',
        'json',
      ]),
    ) as { items: { reason: string; message: string; reportingComponent: string }[] };
    expect(new Set(events.items.map((e) => e.reason))).toEqual(
      new Set(['VersionCreated', 'Promoted', 'Demoted']),
    );
    // The revert promoted version 1 again: an Event of its own, not swallowed as a repeat.
    expect(
      events.items.filter((e) => e.reason === 'Promoted' && e.message === 'Version 1 is now in production'),
    ).toHaveLength(2);
    expect(events.items.every((e) => e.reportingComponent === 'railyard')).toBe(true);

    // Deleting the object takes it out of resolution and keeps its history for audit.
    await kubectlOk(kube, ['delete', 'policy', 'lifecycle']);
    await eventually(async () => ((await matched()).includes('lifecycle') ? undefined : true), 10_000);
    const kept = await eventually(async () => {
      const h = (await storedHistories(kube)).get('lifecycle') as
        | { active: boolean; versions: unknown[] }
        | undefined;
      return h && !h.active ? h : undefined;
    }, 10_000);
    expect(kept.versions).toHaveLength(2);
    await kubectlOk(kube, ['delete', 'policyattachment', 'lifecycle-team']);
  });

  test('a restarted operator rebuilds the same history and gives the same answers', async () => {
    const before = await storedHistories(kube);
    const answers = await Promise.all(CONTEXTS.map((c) => resolveAnswer(operator, c.query)));
    const ids = await operator.json<{ policy_versions: { policy_id: string }[] }>(
      '/v1/resolve?team_alias=healthcare-team',
    );
    await operator.stop();
    operator = await startOperator(kube);
    expect(await Promise.all(CONTEXTS.map((c) => resolveAnswer(operator, c.query)))).toEqual(answers);
    expect(
      await operator.json<{ policy_versions: { policy_id: string }[] }>(
        '/v1/resolve?team_alias=healthcare-team',
      ),
    ).toMatchObject({ policy_versions: ids.policy_versions });
    // Give the new leader time to write, then check it changed nothing in the stored histories.
    await operator.waitForLog((l) => l.msg === 'became leader', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await storedHistories(kube)).toEqual(before);
  });
});
