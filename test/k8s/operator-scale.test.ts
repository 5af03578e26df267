/**
 * Writes proportional to change, at scale: 2,000 objects (1,000 Policies, each with a
 * PolicyAttachment) and two replicas on a real API server. What the operator writes is read from
 * the API server's own `apiserver_request_total`; Lease renewals are left out.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { describeKube, type KubeApiServer } from '../support/kube-apiserver.ts';
import {
  adminObjects,
  apiserverWrites,
  createObjects,
  loadTeam,
  patchSpec,
  policiesWithAttachments,
  totalWrites,
  writesBetween,
} from '../support/kube-load.ts';
import { eventually, type RailyardProcess } from '../support/railyard-process.ts';
import { OPERATOR_SA, startKubeForOperator, startOperator } from './operator-support.ts';

const POLICIES = 1_000;
/** client-go's lease timings: a leader that loses its Lease under load is not what this tests. */
const LEASE = ['--lease-duration', '15s', '--renew-deadline', '10s', '--retry-period', '2s'];
const OBJECTS = policiesWithAttachments(POLICIES);

/** Waits until no write (but Lease renewals) has reached the API server for `quietMs`; returns the total. */
async function settled(
  kube: KubeApiServer,
  quietMs = 2_000,
  timeoutMs = 90_000,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let last = await apiserverWrites(kube);
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await apiserverWrites(kube);
    if (totalWrites(writesBetween(last, now)) > 0) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
  }
  throw new Error(`writes did not settle within ${timeoutMs} ms`);
}

const statusWrites = (w: Record<string, number>) =>
  (w['PATCH policies/status'] ?? 0) + (w['PATCH policyattachments/status'] ?? 0);

describeKube('the operator with 2,000 objects and two replicas: writes proportional to change', () => {
  let kube: KubeApiServer;
  let proxy: FaultProxy;
  let api: CustomObjectsApi;
  const replicas: RailyardProcess[] = [];
  /** The API server's writes before the operator started. */
  let beforeOperators: Map<string, number>;

  beforeAll(async () => {
    kube = await startKubeForOperator();
    proxy = await startFaultProxy(kube.server);
    api = await adminObjects(kube);
    await createObjects(api, OBJECTS);
    beforeOperators = await apiserverWrites(kube);
    const kubeconfig = await kube.kubeconfig(OPERATOR_SA.token, proxy.url);
    for (const identity of ['replica-a', 'replica-b']) {
      const r = await startOperator(kube, { identity, kubeconfig, args: LEASE, waitForReady: false });
      replicas.push(r);
      await r.waitForLog((l) => l.msg === 'initial sync complete', 60_000);
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await proxy?.stop();
    await kube?.stop();
  });

  test('the first sync writes each status once', async () => {
    const written = writesBetween(beforeOperators, await settled(kube));
    expect(statusWrites(written)).toBe(OBJECTS.length);
    expect(written['POST configmaps']).toBe(POLICIES);
  }, 100_000);

  test('one edited Policy: its status, its history and its version Events; nothing else', async () => {
    const before = await settled(kube);
    await patchSpec(api, OBJECTS[0] as (typeof OBJECTS)[number], {
      description: 'edited',
      guardrails: { add: ['pii-mask', 'edited'] },
    });
    for (const r of replicas) {
      await eventually(async () => {
        const a = await r.json<{ effective_guardrails: string[] }>(`/v1/resolve?team_alias=${loadTeam(0)}`);
        return a.effective_guardrails.includes('edited') ? true : undefined;
      }, 10_000);
    }
    const written = writesBetween(before, await settled(kube));
    // The edit itself; the Policy's status; its history; VersionCreated, Promoted (version 2) and
    // Demoted (version 1). Its attachment's status says the same as before: not written.
    expect(written).toEqual({
      'PATCH policies': 1,
      'PATCH policies/status': 1,
      'PUT configmaps': 1,
      'POST events': 3,
    });
  }, 60_000);

  test('a relist of every watch on both replicas that changes nothing writes nothing', async () => {
    const before = await settled(kube);
    const relists = proxy.requests().length;
    expect(proxy.dropWatches()).toBeGreaterThanOrEqual(8);
    // Every informer of both replicas lists again (and each key is compared again).
    await eventually(async () => {
      const lists = proxy
        .requests()
        .slice(relists)
        .filter((r) => r.method === 'GET' && !/[?&]watch=/.test(r.path));
      return lists.length >= 8 ? true : undefined;
    }, 20_000);
    const written = writesBetween(before, await settled(kube, 3_000));
    expect(written).toEqual({});
  }, 60_000);

  test('a new leader that finds everything up to date writes nothing', async () => {
    const before = await settled(kube);
    const [a, b] = replicas;
    if (!a || !b) throw new Error('needs both replicas');
    await a.stop();
    await b.waitForLog((l) => l.msg === 'became leader', 15_000);
    const written = writesBetween(before, await settled(kube, 3_000));
    expect(written).toEqual({});
  }, 60_000);
});
