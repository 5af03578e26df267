import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { kubeConfigFrom, kubeError } from '../../src/kube/client.ts';
import { expired, LeaderElector } from '../../src/kube/leader-election.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';

// Short timings (client-go's are 15 s / 10 s / 2 s).
const TIMING = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 300 };
const NS = 'default';
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

type Replica = {
  elector: LeaderElector;
  ctl: AbortController;
  done: Promise<void>;
  log: string[];
  leaderSignal: () => AbortSignal | undefined;
};

describeKube('LeaderElector on a real Lease', () => {
  let kube: KubeApiServer;
  let kc: KubeConfig;
  let proxy: FaultProxy;
  let proxiedKc: KubeConfig;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    kube = await startKubeApiServer();
    kc = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig() });
    proxy = await startFaultProxy(kube.server);
    proxiedKc = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig(undefined, proxy.url) });
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) r.ctl.abort();
    proxy.clearRules();
  });
  afterAll(async () => {
    await proxy?.stop();
    await kube?.stop();
  });

  function replica(
    lease: string,
    identity: string,
    config: KubeConfig = kc,
    now: () => Date = () => new Date(),
  ): Replica {
    const log: string[] = [];
    const seen: { signal?: AbortSignal } = {};
    const elector = new LeaderElector(config, {
      namespace: NS,
      name: lease,
      identity,
      ...TIMING,
      now,
      onStartedLeading: (signal) => {
        seen.signal = signal;
        log.push('started');
      },
      onStoppedLeading: () => log.push('stopped'),
    });
    const ctl = new AbortController();
    const r: Replica = {
      elector,
      ctl,
      log,
      done: elector.run(ctl.signal),
      leaderSignal: () => seen.signal,
    };
    replicas.push(r);
    return r;
  }

  const leaders = (rs: readonly Replica[]) => rs.filter((r) => r.elector.isLeader());
  const readLease = (name: string) =>
    kube.kubectl(['get', 'lease', name, '-n', NS, '-o', 'json']).then((r) => JSON.parse(r.stdout).spec);

  test('exactly one of two replicas leads, and keeps renewing with six-digit MicroTimes', async () => {
    const a = replica('one-leader', 'a');
    const b = replica('one-leader', 'b');
    await vi.waitFor(() => expect(leaders([a, b])).toHaveLength(1), { timeout: 3_000 });
    const first = await readLease('one-leader');
    for (let i = 0; i < 40; i++) {
      expect(leaders([a, b])).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 25));
    }
    const later = await readLease('one-leader');
    const leader = leaders([a, b])[0];
    expect(later.holderIdentity).toBe(leader?.elector.status().identity);
    expect(later.leaseDurationSeconds).toBe(2);
    expect(later.leaseTransitions).toBe(0);
    expect(later.renewTime).toMatch(MICRO_TIME);
    expect(later.acquireTime).toMatch(MICRO_TIME);
    expect(later.acquireTime).toBe(first.acquireTime);
    expect(Date.parse(later.renewTime)).toBeGreaterThan(Date.parse(first.renewTime));
    expect([...a.log, ...b.log]).toEqual(['started']);
    const follower = [a, b].find((r) => r !== leader);
    expect(follower?.elector.status()).toMatchObject({
      leader: false,
      observedHolder: leader?.elector.status().identity,
    });
  });

  test('a leader stopped without release is replaced once its lease expires', async () => {
    const a = replica('expiry', 'a');
    await vi.waitFor(() => expect(a.elector.isLeader()).toBe(true), { timeout: 3_000 });
    const b = replica('expiry', 'b');
    await new Promise((r) => setTimeout(r, 400));
    expect(b.elector.isLeader()).toBe(false);

    const signal = a.leaderSignal();
    a.ctl.abort();
    const abortedAt = Date.now();
    await a.done;
    expect(signal?.aborted).toBe(true);
    expect(a.log).toEqual(['started', 'stopped']);
    expect(a.elector.isLeader()).toBe(false);

    await vi.waitFor(() => expect(b.elector.isLeader()).toBe(true), { timeout: 5_000, interval: 20 });
    const waited = Date.now() - abortedAt;
    // It had to wait for expiry (last renewal + 2 s), give or take one retry period.
    expect(waited).toBeGreaterThan(TIMING.leaseDurationMs - TIMING.retryPeriodMs - 100);
    expect(waited).toBeLessThan(TIMING.leaseDurationMs + 1_000);
    const spec = await readLease('expiry');
    expect(spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  test('a replica whose clock runs ahead does not take over a lease that is being renewed', async () => {
    const a = replica('skew', 'a');
    await vi.waitFor(() => expect(a.elector.isLeader()).toBe(true), { timeout: 3_000 });
    // b's clock is 10 s ahead: by the holder's renewTime the lease always looks expired to it.
    const b = replica('skew', 'b', kc, () => new Date(Date.now() + 10_000));
    for (let i = 0; i < 30; i++) {
      expect(leaders([a, b]).map((r) => r.elector.status().identity)).toEqual(['a']);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.elector.status()).toMatchObject({ leader: false, observedHolder: 'a' });
  });

  test('release hands over well before the lease would expire', async () => {
    const a = replica('release', 'a');
    await vi.waitFor(() => expect(a.elector.isLeader()).toBe(true), { timeout: 3_000 });
    const b = replica('release', 'b');
    await new Promise((r) => setTimeout(r, 400));

    const releasedAt = Date.now();
    expect(await a.elector.release()).toEqual({ outcome: 'released' });
    expect(a.log).toEqual(['started', 'stopped']);
    await vi.waitFor(() => expect(b.elector.isLeader()).toBe(true), { timeout: 3_000, interval: 20 });
    expect(Date.now() - releasedAt).toBeLessThan(TIMING.leaseDurationMs / 2);
    expect(await readLease('release')).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // Releasing a lease held by someone else changes nothing.
    expect(await a.elector.release()).toEqual({ outcome: 'not_holder' });
  });

  test('a leader that cannot renew within the deadline stops leading before its lease expires', async () => {
    const a = replica('deadline', 'a', proxiedKc);
    await vi.waitFor(() => expect(a.elector.isLeader()).toBe(true), { timeout: 3_000 });
    const b = replica('deadline', 'b');
    proxy.addRule({ match: { path: /\/leases\/deadline/ }, fault: { kind: 'status', status: 500 } });
    const cutAt = Date.now();
    let bothLed = false;
    let aStoppedAfter: number | undefined;
    while (!b.elector.isLeader() && Date.now() - cutAt < 5_000) {
      if (a.elector.isLeader() && b.elector.isLeader()) bothLed = true;
      if (!a.elector.isLeader()) aStoppedAfter ??= Date.now() - cutAt;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(bothLed).toBe(false);
    // At most renewDeadline after its last successful renewal, which came before the cut.
    expect(aStoppedAfter).toBeLessThanOrEqual(TIMING.renewDeadlineMs + 100);
    expect(b.elector.isLeader()).toBe(true);
    expect(a.log).toEqual(['started', 'stopped']);
    expect(a.elector.status().lastError).toMatchObject({ code: 500, reason: 'InternalError' });
  });

  test('kubeError reads the Status of a failed call', async () => {
    const api = kc.makeApiClient(CoordinationV1Api);
    const e = await api.readNamespacedLease({ name: 'missing', namespace: NS }).catch((x: unknown) => x);
    expect(kubeError(e)).toEqual({
      code: 404,
      reason: 'NotFound',
      message: 'leases.coordination.k8s.io "missing" not found',
    });
  });
});

describe('expired', () => {
  const seen = Date.parse('2025-01-01T00:00:00Z');
  const cases = [
    { note: 'seen changing 5 s ago, 15 s lease: valid', now: seen + 5_000, seconds: 15, want: false },
    { note: 'unchanged for 16 s, 15 s lease: expired', now: seen + 16_000, seconds: 15, want: true },
    { note: 'exactly at the boundary: still valid', now: seen + 15_000, seconds: 15, want: false },
    { note: 'no duration: expired', now: seen + 1, seconds: undefined, want: true },
  ];
  for (const c of cases) test(c.note, () => expect(expired(seen, c.seconds, c.now)).toBe(c.want));
});
