/**
 * Kubernetes mode tells the truth, on a real API server, with the operator running as the
 * manifests' ServiceAccount: a Policy is Ready only when what serves can be enforced, an invalid
 * edit keeps the version columns of what serves, histories are retained and sized (or the Policy
 * says they could not be stored), every write names the field manager railyard, the HTTP API does
 * not write, and cluster tokens must be issued for the configured audience.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { argoHealth } from '../support/argocd-health.ts';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import { eventually, type RailyardProcess } from '../support/railyard-process.ts';
import {
  condition,
  getObject,
  type KubeObject,
  kubectlOk,
  OPERATOR_NAMESPACE,
  startKubeForOperator,
  startOperator,
  statusOf,
  storedHistories,
} from './operator-support.ts';

const yaml = {
  guardrail: (name: string, config: string) => `
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: ${name}}
spec: {type: max_length, mode: pre_call, failurePolicy: closed, config: ${config}}
`,
  policy: (name: string, spec: string) => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: ${name}}
spec: ${spec}
`,
  attachment: (name: string, policy: string, team: string) => `
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: ${name}}
spec: {policy: ${policy}, teams: [${team}]}
`,
};

/** The `i`-th model name of `bigPolicy(tag, …)`. */
const bigModel = (tag: string, i: number) => `m-${tag}-${String(i).padStart(5, '0')}-${'x'.repeat(106)}`;

/** A Policy of about `kb` KB: a list of exact model names, different for each `tag`. */
function bigPolicy(tag: string, kb: number, versionStatus: 'production' | 'draft'): string {
  const model = Array.from({ length: Math.round((kb * 1000) / 123) }, (_, i) => bigModel(tag, i));
  return JSON.stringify({
    apiVersion: 'railyard.dev/v1alpha1',
    kind: 'Policy',
    metadata: { name: 'big', namespace: 'default' },
    spec: { guardrails: { add: ['pii-mask'] }, condition: { model }, versionStatus },
  });
}

type CoreEvent = { reason: string; type: string; message: string; involvedObject: { name: string } };
const eventsAbout = async (kube: KubeApiServer, name: string): Promise<CoreEvent[]> =>
  (
    JSON.parse(
      await kubectlOk(kube, [
        'get',
        'events',
        '--field-selector',
        `involvedObject.name=${name}`,
        '-o',
        'json',
      ]),
    ) as { items: CoreEvent[] }
  ).items;

/** The row of `kubectl get policies` for `name`, split on runs of spaces. */
async function policyRow(kube: KubeApiServer, name: string): Promise<string[]> {
  const rows = (await kubectlOk(kube, ['get', 'policies'])).trim().split('\n');
  const header = rows[0]?.split(/\s{2,}/) ?? [];
  const row = rows.find((r) => r.startsWith(`${name} `)) ?? '';
  // Empty cells: cut by the header's column offsets.
  const starts = header.map((h) => (rows[0] ?? '').indexOf(h));
  return starts.map((s, i) => row.slice(s, starts[i + 1]).trim());
}

describeKube('Kubernetes mode tells the truth', () => {
  let kube: KubeApiServer;
  let operator: RailyardProcess;
  const readyOf = (o: KubeObject) => condition(o, 'Ready');

  beforeAll(async () => {
    kube = await startKubeForOperator();
    await kubectlOk(kube, ['apply', '-f', 'examples/']);
    await kubectlOk(kube, ['create', 'namespace', 'proxies']);
    await kubectlOk(kube, ['create', 'serviceaccount', 'litellm', '-n', 'proxies']);
    await kubectlOk(kube, [
      'create',
      'clusterrolebinding',
      'litellm-reads-railyard',
      '--clusterrole=railyard-reader',
      '--serviceaccount=proxies:litellm',
    ]);
    operator = await startOperator(kube, { args: ['--token-audience', 'railyard'] });
    await operator.waitForLog((l) => l.msg === 'became leader', 10_000);
  });
  afterAll(async () => {
    await operator?.stop();
    await kube?.stop();
  });

  test('a Guardrail that exists but is invalid: its Policy is Ready=False GuardrailInvalid, with a Warning, until it is fixed', async () => {
    await kubectlOk(
      kube,
      ['apply', '-f', '-'],
      [
        yaml.guardrail('length-limit', '{}'),
        yaml.policy('limited', '{guardrails: {add: [length-limit]}}'),
        yaml.attachment('limited-team', 'limited', 'limited-team'),
      ].join('---'),
    );
    const p = await statusOf(kube, 'policy', 'limited', (o) => readyOf(o)?.reason === 'GuardrailInvalid');
    expect(condition(p, 'Accepted')?.status).toBe('True');
    expect(readyOf(p)).toMatchObject({ status: 'False' });
    expect(readyOf(p)?.message).toContain('guardrail "length-limit" is invalid');
    expect(p.status?.productionVersion).toBe(1);
    expect(argoHealth(p).status).toBe('Degraded');
    // What the status says is what enforcement does: the decision cannot be made.
    const decide = () =>
      operator.fetch('/litellm/beta/litellm_basic_guardrail_api', {
        method: 'POST',
        body: JSON.stringify({
          input_type: 'request',
          texts: ['hello'],
          request_data: { user_api_key_team_alias: 'limited-team' },
        }),
      });
    expect((await decide()).status).toBe(503);
    await eventually(async () =>
      (await eventsAbout(kube, 'limited')).find(
        (e) => e.reason === 'GuardrailInvalid' && e.type === 'Warning',
      ),
    );

    await kubectlOk(kube, ['apply', '-f', '-'], yaml.guardrail('length-limit', '{maxChars: 10000}'));
    const fixed = await statusOf(kube, 'policy', 'limited', (o) => readyOf(o)?.status === 'True');
    expect(readyOf(fixed)?.reason).toBe('InProduction');
    await eventually(async () => ((await decide()).status === 200 ? true : undefined));
  });

  test('deleting a Guardrail in use is not blocked; the Policy turns Ready=False GuardrailNotFound with a Warning naming it', async () => {
    const deleted = await kube.kubectl(['delete', 'guardrail', 'length-limit', '--timeout=10s']);
    expect(deleted.code, deleted.stderr).toBe(0);
    const p = await statusOf(kube, 'policy', 'limited', (o) => readyOf(o)?.reason === 'GuardrailNotFound');
    expect(readyOf(p)?.status).toBe('False');
    expect(readyOf(p)?.message).toContain('guardrail "length-limit" is not declared');
    expect(p.status?.productionVersion).toBe(1);
    const warning = await eventually(async () =>
      (await eventsAbout(kube, 'limited')).find((e) => e.reason === 'GuardrailNotFound'),
    );
    expect(warning).toMatchObject({ type: 'Warning' });
    expect(warning.message).toContain("'length-limit'");
    await kubectlOk(kube, ['delete', 'policy', 'limited']);
    await kubectlOk(kube, ['delete', 'policyattachment', 'limited-team']);
  });

  test('an invalid edit keeps LATEST and PRODUCTION: the version that serves', async () => {
    await kubectlOk(
      kube,
      ['apply', '-f', '-'],
      yaml.policy('regexy', '{guardrails: {add: [pii-mask]}, condition: {model: "gpt-4.*"}}'),
    );
    await statusOf(kube, 'policy', 'regexy', (o) => o.status?.productionVersion === 1);
    await kubectlOk(
      kube,
      ['apply', '-f', '-'],
      yaml.policy('regexy', '{guardrails: {add: [pii-mask]}, condition: {model: "gpt-4.*("}}'),
    );
    const p = await statusOf(kube, 'policy', 'regexy', (o) => condition(o, 'Accepted')?.status === 'False');
    expect(p.status).toMatchObject({ latestVersion: 1, productionVersion: 1 });
    expect(p.status?.productionDigest).toMatch(/^sha256:/);
    expect(readyOf(p)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    const [name, , latest, production, ready, reason] = await policyRow(kube, 'regexy');
    expect({ name, latest, production, ready, reason }).toEqual({
      name: 'regexy',
      latest: '1',
      production: '1',
      ready: 'False',
      reason: 'InvalidSpec',
    });
  });

  test('every write the operator makes names the field manager railyard', async () => {
    const managers = (o: { metadata?: { managedFields?: { manager: string }[] } }) =>
      (o.metadata?.managedFields ?? []).map((f) => f.manager);
    const policy = JSON.parse(
      await kubectlOk(kube, ['get', 'policy', 'global-baseline', '-o', 'json', '--show-managed-fields']),
    );
    expect(managers(policy)).toContain('railyard');
    const lists = await Promise.all(
      [
        ['configmaps', '-n', OPERATOR_NAMESPACE, '-l', 'railyard.dev/store=history'],
        ['leases', '-n', OPERATOR_NAMESPACE],
        ['events.events.k8s.io', '-n', 'default'],
      ].map(async (args) =>
        JSON.parse(await kubectlOk(kube, ['get', ...args, '-o', 'json', '--show-managed-fields'])),
      ),
    );
    for (const list of [...lists, { items: [policy] }]) {
      expect(list.items.length).toBeGreaterThan(0);
      for (const item of list.items) expect(managers(item)).not.toContain('kubernetes-client-javascript');
    }
    for (const list of lists) for (const item of list.items) expect(managers(item)).toEqual(['railyard']);
  });

  test('the HTTP API does not write in Kubernetes mode (405, saying what to do); reads stay', async () => {
    const refused = await operator.fetch('/policies', {
      method: 'POST',
      body: JSON.stringify({ policy_name: 'from-the-api', guardrails_add: ['pii-mask'] }),
    });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('');
    expect(((await refused.json()) as { detail: string }).detail).toMatch(
      /kubectl apply or your GitOps tool/,
    );
    for (const [method, path] of [
      ['POST', '/policies/name/global-baseline/versions'],
      ['DELETE', '/policies/name/global-baseline/all-versions'],
      ['POST', '/policies/attachments'],
      ['DELETE', '/policies/attachments/finance-team'],
    ] as const) {
      const r = await operator.fetch(path, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(r.status, `${method} ${path}`).toBe(405);
    }
    const versions = await operator.fetch('/policies/name/global-baseline/versions', {
      method: 'POST',
      body: '{}',
    });
    expect(versions.headers.get('allow')).toBe('GET, HEAD');
    const list = await operator.json<{ policies: { policy_name: string }[] }>('/policies/list');
    expect(list.policies.map((p) => p.policy_name)).toContain('global-baseline');
    expect(list.policies.map((p) => p.policy_name)).not.toContain('from-the-api');
    expect((await operator.fetch('/policies/resolve', { method: 'POST', body: '{}' })).status).toBe(200);
    expect((await operator.fetch('/no/such/route', { method: 'POST', body: '{}' })).status).toBe(404);
    expect([...(await storedHistories(kube)).keys()]).not.toContain('from-the-api');
  });

  test('cluster tokens must be issued for --token-audience', async () => {
    const token = async (...extra: string[]) =>
      (await kubectlOk(kube, ['create', 'token', 'litellm', '-n', 'proxies', ...extra])).trim();
    const forRailyard = await token('--audience', 'railyard');
    const forTheApiServer = await token();
    const resolve = (server: RailyardProcess, t: string) =>
      server.fetch('/v1/resolve?team_alias=finance', { token: t });
    expect((await resolve(operator, forRailyard)).status).toBe(200);
    expect((await resolve(operator, forTheApiServer)).status).toBe(401);
    // Without --token-audience (as before), a token issued for Railyard is refused: the API server
    // checks it against its own audience. (A second replica: it only serves reads.)
    const plain = await startOperator(kube, { identity: 'no-audience' });
    try {
      expect((await resolve(plain, forRailyard)).status).toBe(401);
      expect((await resolve(plain, forTheApiServer)).status).toBe(200);
    } finally {
      await plain.stop();
    }
  });

  test('a large policy edited again and again keeps working: retention drops old versions to fit', async () => {
    await kubectlOk(kube, ['apply', '-f', '-'], yaml.attachment('big-team', 'big', 'big-team'));
    for (let i = 1; i <= 6; i++) {
      await kubectlOk(kube, ['apply', '--server-side', '-f', '-'], bigPolicy(`v${i}`, 240, 'production'));
      await statusOf(kube, 'policy', 'big', (o) => o.status?.productionVersion === i, 30_000);
    }
    const p = await getObject(kube, 'policy', 'big');
    expect(readyOf(p)).toMatchObject({ status: 'True', reason: 'InProduction' });
    expect(condition(p, 'Degraded')).toMatchObject({ status: 'False' });
    expect(p.status).toMatchObject({ latestVersion: 6, productionVersion: 6 });
    const stored = (await storedHistories(kube)).get('big') as { versions: { versionNumber: number }[] };
    const kept = stored.versions.map((v) => v.versionNumber);
    expect(kept.length).toBeLessThan(6);
    expect(kept.at(-1)).toBe(6);
    const cm = JSON.parse(
      await kubectlOk(kube, [
        'get',
        'configmap',
        'railyard-policy-default.big',
        '-n',
        OPERATOR_NAMESPACE,
        '-o',
        'json',
      ]),
    ) as { data: Record<string, string> };
    expect(Buffer.byteLength(cm.data['history.json'] ?? '')).toBeLessThan(1_048_576 - 64 * 1024);
    const pruned = await eventually(async () =>
      (await eventsAbout(kube, 'big')).find((e) => e.reason === 'VersionsPruned'),
    );
    expect(pruned.message).toMatch(/^Dropped version/);
    const answer = await operator.json<{
      policy_versions: { policy_name: string; version_number: number }[];
    }>(`/v1/resolve?team_alias=big-team&model=${bigModel('v6', 7)}`);
    expect(answer.policy_versions).toContainEqual(
      expect.objectContaining({ policy_name: 'big', version_number: 6 }),
    );
  }, 120_000);

  test('a history that cannot fit: Ready=False HistoryNotStored, Degraded=True, a Warning, an error in the metric; v6 keeps serving', async () => {
    const errors = async () => {
      const text = await (await operator.fetch('/metrics', { token: null })).text();
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith('controller_runtime_reconcile_total{controller="declared",result="error"}'),
        );
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = await errors();
    // A draft of about 800 KB beside the 240 KB production version: the two cannot share 1 MiB.
    await kubectlOk(kube, ['apply', '--server-side', '-f', '-'], bigPolicy('huge', 800, 'draft'));
    const p = await statusOf(
      kube,
      'policy',
      'big',
      (o) => condition(o, 'Degraded')?.status === 'True',
      30_000,
    );
    expect(condition(p, 'Degraded')).toMatchObject({ reason: 'HistoryNotStored' });
    expect(condition(p, 'Degraded')?.message).toMatch(/make the spec smaller/);
    expect(readyOf(p)).toMatchObject({ status: 'False', reason: 'HistoryNotStored' });
    expect(readyOf(p)?.message).toContain('version 6 is in production');
    expect(p.status).toMatchObject({ latestVersion: 6, productionVersion: 6 });
    expect(argoHealth(p)).toMatchObject({ status: 'Degraded' });
    const [, , latest, production, ready, reason] = await policyRow(kube, 'big');
    expect({ latest, production, ready, reason }).toEqual({
      latest: '6',
      production: '6',
      ready: 'False',
      reason: 'HistoryNotStored',
    });
    await eventually(async () =>
      (await eventsAbout(kube, 'big')).find((e) => e.reason === 'HistoryNotStored' && e.type === 'Warning'),
    );
    expect(await errors()).toBeGreaterThan(before);
    const stored = (await storedHistories(kube)).get('big') as { versions: { versionNumber: number }[] };
    expect(stored.versions.at(-1)?.versionNumber).toBe(6);
    const answer = await operator.json<{
      policy_versions: { policy_name: string; version_number: number }[];
    }>(`/v1/resolve?team_alias=big-team&model=${bigModel('v6', 7)}`);
    expect(answer.policy_versions).toContainEqual(
      expect.objectContaining({ policy_name: 'big', version_number: 6 }),
    );
  }, 60_000);
});
