import { afterAll, beforeAll, expect, test } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import type { RailyardProcess } from '../support/railyard-process.ts';
import {
  condition,
  kubectlOk,
  OPERATOR_SA,
  startKubeForOperator,
  startOperator,
  statusOf,
} from './operator-support.ts';

const policy = (guardrails: string[]) => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: faulty}
spec:
  guardrails: {add: [${guardrails.join(', ')}]}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: faulty-team}
spec:
  policy: faulty
  teams: [faulty-team]
`;

const FAULTS = [
  {
    note: 'status writes answered 409 Conflict',
    rules: [
      { match: { method: 'PATCH', path: /\/status/ }, fault: { kind: 'status', status: 409 }, times: 4 },
    ],
  },
  {
    note: 'status writes and ConfigMap writes answered 500',
    rules: [
      { match: { method: 'PATCH', path: /\/status/ }, fault: { kind: 'status', status: 500 }, times: 3 },
      {
        match: { method: /^(PUT|POST)$/, path: /\/configmaps/ },
        fault: { kind: 'status', status: 500 },
        times: 2,
      },
    ],
  },
  {
    note: 'watches dropped, then re-watches answered 410 Gone',
    drop: true,
    rules: [{ match: { watch: true }, fault: { kind: 'status', status: 410 }, times: 3 }],
  },
  {
    note: 'watches dropped and lists failing with 500',
    drop: true,
    rules: [
      {
        match: { watch: false, method: 'GET', path: /railyard\.dev/ },
        fault: { kind: 'status', status: 500 },
        times: 3,
      },
    ],
  },
  {
    note: 'every request slowed down by 300 ms',
    rules: [{ match: {}, fault: { kind: 'delay', ms: 300 }, times: 40 }],
  },
] as const;

describeKube('the operator behind a fault-injecting proxy', () => {
  let kube: KubeApiServer;
  let proxy: FaultProxy;
  let operator: RailyardProcess;
  /** Writes the rules refused, by what they refused: every one is a failed write of the operator. */
  const refused = { statuses: 0, configMaps: 0 };

  beforeAll(async () => {
    kube = await startKubeForOperator();
    proxy = await startFaultProxy(kube.server);
    await kubectlOk(kube, ['apply', '-f', 'examples/']);
    await kubectlOk(kube, ['apply', '-f', '-'], policy(['toxicity']));
    operator = await startOperator(kube, { kubeconfig: await kube.kubeconfig(OPERATOR_SA.token, proxy.url) });
    await statusOf(kube, 'policy', 'faulty', (o) => o.status?.productionVersion === 1);
  });
  afterAll(async () => {
    await operator?.stop();
    await proxy?.stop();
    await kube?.stop();
  });

  const contents = [['pii-mask'], ['toxicity'], ['pii-mask', 'toxicity'], ['secrets-scan'], ['toxicity']];

  FAULTS.forEach((f, i) => {
    test(`converges to the right status, serving reads throughout: ${f.note}`, async () => {
      const codes: number[] = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          codes.push((await operator.fetch('/v1/resolve?team_alias=faulty-team')).status);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const handles = f.rules.map((r) => proxy.addRule(r as Parameters<FaultProxy['addRule']>[0]));
      if ('drop' in f) expect(proxy.dropWatches()).toBeGreaterThan(0);
      const want = contents[i] ?? [];
      await kubectlOk(kube, ['apply', '-f', '-'], policy(want));
      try {
        const p = await statusOf(
          kube,
          'policy',
          'faulty',
          (o) =>
            condition(o, 'Ready')?.status === 'True' &&
            JSON.stringify(o.status?.resolvedGuardrails) === JSON.stringify([...want].sort()),
          30_000,
        );
        expect(p.status?.latestVersion).toBeGreaterThanOrEqual(1);
        const answer = await operator.json<{ effective_guardrails: string[] }>(
          '/v1/resolve?team_alias=faulty-team',
        );
        for (const g of want) expect(answer.effective_guardrails).toContain(g);
        expect(handles.reduce((n, h) => n + h.hits(), 0)).toBeGreaterThan(0);
      } finally {
        polling = false;
        await poller;
        f.rules.forEach((r, j) => {
          if (r.fault.kind !== 'status' || 'watch' in r.match) return;
          const hits = handles[j]?.hits() ?? 0;
          if ('path' in r.match && /configmaps/.test(String(r.match.path))) refused.configMaps += hits;
          else refused.statuses += hits;
        });
        proxy.clearRules();
      }
      expect(codes.length).toBeGreaterThan(0);
      expect(codes.filter((c) => c !== 200)).toEqual([]);
    }, 40_000);
  });

  test('the writes the faults refused are counted by verb and resource', async () => {
    const text = await (await operator.fetch('/metrics', { token: null })).text();
    const count = (labels: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`railyard_kube_write_errors_total{${labels}} `))
          ?.split(' ')[1] ?? 0,
      );
    const statuses = ['policies', 'policyattachments', 'guardrails'].reduce(
      (n, plural) => n + count(`verb="patch",resource="${plural}/status"`),
      0,
    );
    // Four 409s and three 500s on status patches (of whichever objects' statuses were being
    // written then); two 500s on ConfigMap writes.
    expect(refused).toEqual({ statuses: 7, configMaps: 2 });
    expect(statuses).toBe(refused.statuses);
    expect(count('verb="create",resource="configmaps"') + count('verb="update",resource="configmaps"')).toBe(
      refused.configMaps,
    );
  });
});
