/** The pure parts of Kubernetes mode: desired status, its merge patch, Events, what the caches keep. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, test, vi } from 'vitest';
import type { ObjectStatus } from '../../src/engine/index.ts';
import { EventRecorder, statusEvents, versionEvents } from '../../src/operator/events.ts';
import { desiredStatus, statusPatch } from '../../src/operator/status-form.ts';
import { StatusWriter } from '../../src/operator/status-writer.ts';
import type { Snapshot } from '../../src/registry/index.ts';
import { slimObject } from '../../src/sources/kubernetes/kubernetes-source.ts';

const NOW = '2025-06-01T12:00:00Z';
const EARLIER = '2025-01-01T00:00:00Z';

const policyStatus = (ready: boolean, generation = 2): ObjectStatus => ({
  key: { kind: 'Policy', namespace: 'ns', name: 'p' },
  origin: { kind: 'kubernetes', namespace: 'ns', name: 'p' },
  generation,
  issues: [],
  conditions: [
    { type: 'Accepted', status: 'True', reason: 'Valid', message: 'The spec is valid' },
    ready
      ? { type: 'Ready', status: 'True', reason: 'InProduction', message: 'Version 2 is in production' }
      : { type: 'Ready', status: 'False', reason: 'NoProductionVersion', message: 'Version 2 is draft' },
  ],
  policy: ready
    ? {
        latestVersion: 2,
        latestDigest: 'd2',
        productionVersion: 2,
        productionDigest: 'd2',
        resolvedGuardrails: [],
      }
    : { latestVersion: 2, latestDigest: 'd2', resolvedGuardrails: [] },
});

describe('desiredStatus', () => {
  const cases = [
    {
      note: 'new conditions take the current time',
      status: policyStatus(true),
      current: undefined,
      want: { Accepted: NOW, Ready: NOW },
    },
    {
      note: 'an unchanged condition keeps its lastTransitionTime, a flipped one gets now',
      status: policyStatus(true),
      current: {
        conditions: [
          { type: 'Accepted', status: 'True', lastTransitionTime: EARLIER },
          { type: 'Ready', status: 'False', lastTransitionTime: EARLIER },
        ],
      },
      want: { Accepted: EARLIER, Ready: NOW },
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      const s = desiredStatus(c.status, c.current, ['a', 'b'], NOW);
      expect(Object.fromEntries(s.conditions.map((x) => [x.type, x.lastTransitionTime]))).toEqual(c.want);
      expect(s).toMatchObject({
        observedGeneration: 2,
        productionVersion: 2,
        resolvedGuardrails: ['a', 'b'],
      });
      expect(s.conditions.every((x) => x.observedGeneration === 2)).toBe(true);
    });
  }
});

/** `value` with the keys of every object sorted, as the API server serialises a custom resource. */
function sortedKeys(value: unknown): Record<string, unknown> {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return sort(value) as Record<string, unknown>;
}

describe('desiredStatus of a policy in shadow and of a floor', () => {
  const inShadow = (running: boolean): ObjectStatus => {
    const base = policyStatus(true);
    return {
      ...base,
      policy: {
        ...(base.policy as NonNullable<ObjectStatus['policy']>),
        policyName: 'p',
        shadow: { versionNumber: 3, policyId: 'id3', sampleRate: 0.5, running },
      },
    };
  };
  const counts = {
    subject: { namespace: 'ns', policy: 'p', policyId: 'id3' },
    runs: 12380,
    results: { agree: 12339 },
  };
  const cases = [
    {
      note: 'runs counted: the agreement, rounded, and a one-line state for kubectl get',
      status: inShadow(true),
      counts,
      want: {
        version: 3,
        policyId: 'id3',
        sampleRate: 0.5,
        running: true,
        runs: 12380,
        agreement: 0.9967,
        state: 'v3 99.67% of 12380',
      },
    },
    {
      note: 'before the first run',
      status: inShadow(true),
      counts: undefined,
      want: { version: 3, policyId: 'id3', sampleRate: 0.5, running: true, runs: 0, state: 'v3 no run yet' },
    },
    {
      note: 'the version promoted: the shadow has ended',
      status: inShadow(false),
      counts,
      want: expect.objectContaining({ running: false, state: 'v3 in production: shadow ended' }),
    },
  ];
  for (const c of cases)
    test(c.note, () => expect(desiredStatus(c.status, undefined, [], NOW, c.counts).shadow).toEqual(c.want));

  test('a floor: where it applies and what it lacks', () => {
    const floor: ObjectStatus = {
      key: { kind: 'GuardrailFloor', namespace: '', name: 'f' },
      origin: { kind: 'kubernetes', namespace: '', name: 'f' },
      generation: 1,
      issues: [],
      conditions: [],
      floor: { namespaces: ['a', 'b'], missing: [{ namespace: 'b', guardrails: ['pii'] }] },
    };
    expect(desiredStatus(floor, undefined, [], NOW)).toMatchObject({
      namespaceCount: 2,
      namespaces: ['a', 'b'],
      missingGuardrails: [{ namespace: 'b', guardrails: ['pii'] }],
    });
    expect(desiredStatus(floor, undefined, [], NOW).resolvedGuardrails).toBeUndefined();
  });
});

describe('statusPatch', () => {
  const desired = desiredStatus(policyStatus(false), undefined, [], NOW);
  const cases = [
    { note: 'no status yet: everything is sent', current: undefined, want: desired },
    { note: 'the same status: no write', current: { ...desired }, want: undefined },
    {
      note: 'a production version that went away is removed with null; foreign fields are left alone',
      current: { ...desired, productionVersion: 1, productionDigest: 'd1', somebodyElses: true },
      want: { productionVersion: null, productionDigest: null },
    },
    {
      note: 'the same status with every key sorted, as the API server returns it: no write',
      current: sortedKeys(desired),
      want: undefined,
    },
    {
      note: 'a field the server added inside a condition: no write',
      current: { ...desired, conditions: desired.conditions.map((c) => ({ ...c, severity: '' })) },
      want: undefined,
    },
    {
      note: 'conditions in another order: written (their order is what the status says)',
      current: { ...desired, conditions: [...desired.conditions].reverse() },
      want: { conditions: desired.conditions },
    },
    {
      note: 'a changed message inside a condition: the conditions are written',
      current: {
        ...desired,
        conditions: desired.conditions.map((c) => (c.type === 'Ready' ? { ...c, message: 'old' } : c)),
      },
      want: { conditions: desired.conditions },
    },
  ];
  for (const c of cases) test(c.note, () => expect(statusPatch(desired, c.current)).toEqual(c.want));
});

describe('Events', () => {
  const key = { kind: 'Policy', namespace: 'ns', name: 'p' } as const;
  const cases = [
    {
      note: 'a new version',
      change: { kind: 'version', key, change: { kind: 'created', versionNumber: 3, policyId: 'id3' } },
      want: [{ type: 'Normal', reason: 'VersionCreated', message: 'Created version 3 (policy_id id3)' }],
    },
    {
      note: 'a promotion',
      change: { kind: 'version', key, change: { kind: 'promoted', versionNumber: 3, policyId: 'id3' } },
      want: [{ type: 'Normal', reason: 'Promoted', message: 'Version 3 is now in production' }],
    },
    {
      note: 'a reuse alone says nothing',
      change: { kind: 'version', key, change: { kind: 'reused', versionNumber: 1, policyId: 'id1' } },
      want: [],
    },
    { note: 'a removal says nothing', change: { kind: 'removed', key }, want: [] },
  ] as const;
  for (const c of cases) test(c.note, () => expect(versionEvents(c.change)).toEqual(c.want));

  test('a status that is not accepted is an InvalidSpec warning; a valid one is silent', () => {
    const invalid: ObjectStatus = {
      ...policyStatus(false),
      conditions: [
        { type: 'Accepted', status: 'False', reason: 'InvalidRegex', message: 'spec.condition.model: bad' },
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'Not applied' },
      ],
    };
    expect(statusEvents(invalid)).toEqual([
      { type: 'Warning', reason: 'InvalidSpec', message: 'spec.condition.model: bad' },
    ]);
    expect(statusEvents(policyStatus(true))).toEqual([]);
  });

  const notReady = (reason: string, message: string): ObjectStatus => ({
    ...policyStatus(false),
    conditions: [
      { type: 'Accepted', status: 'True', reason: 'Valid', message: 'The spec is valid' },
      { type: 'Ready', status: 'False', reason, message },
    ],
  });
  const warnings = [
    { reason: 'GuardrailInvalid', message: 'Version 1 is in production, but guardrail "hook" is invalid' },
    { reason: 'GuardrailNotFound', message: 'Version 1 is in production, but guardrail "x" is not declared' },
    { reason: 'HistoryNotStored', message: 'History not stored: too large; version 1 is in production' },
    { reason: 'ParentNotInProduction', message: 'parent policy "p" has no version in production' },
  ];
  for (const w of warnings) {
    test(`Ready=False ${w.reason} is a Warning with that reason and message`, () =>
      expect(statusEvents(notReady(w.reason, w.message))).toEqual([{ type: 'Warning', ...w }]));
  }
  test('a draft is not a Warning', () =>
    expect(statusEvents(notReady('NoProductionVersion', 'Version 2 is draft'))).toEqual([]));

  test('versions dropped by retention are a Normal event listing them', () =>
    expect(versionEvents({ kind: 'pruned', key, versions: [1, 3] })).toEqual([
      expect.objectContaining({
        type: 'Normal',
        reason: 'VersionsPruned',
        message: expect.stringMatching(/^Dropped versions 1, 3 /),
      }),
    ]));
});

/** A KubeConfig for a server nobody listens on: every call fails at once. */
function unreachable(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

/** A KubeConfig for `server` (plain http: no certificate to make). */
function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

describe('StatusWriter', () => {
  test('a key looked at again before the informer shows its patch is not patched twice', async () => {
    // An API server that answers a status merge patch with the object, keys sorted as the real one does.
    const patches: unknown[] = [];
    const api = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += String(c);
      });
      req.on('end', () => {
        const { status } = JSON.parse(body) as { status: Record<string, unknown> };
        patches.push(status);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            apiVersion: 'railyard.dev/v1alpha1',
            kind: 'Policy',
            metadata: { name: 'p', namespace: 'ns', generation: 2, resourceVersion: '8' },
            status: sortedKeys(status),
          }),
        );
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const status = policyStatus(true);
    const snapshot = {
      statusByKey: new Map([['Policy/ns/p', status]]),
      namespaces: new Map(),
    } as unknown as Snapshot;
    // The informer never delivers the patch: the cache keeps the object as it was.
    const cached = { metadata: { name: 'p', namespace: 'ns', generation: 2, resourceVersion: '7' } };
    const writer = new StatusWriter({
      kubeConfig: kubeConfigFor(`http://127.0.0.1:${(api.address() as AddressInfo).port}`),
      object: () => cached,
      snapshot: () => snapshot,
    });
    const leading = new AbortController();
    const running = writer.run(leading.signal);
    try {
      await vi.waitFor(() => expect(patches).toHaveLength(1));
      writer.enqueue(status.key);
      writer.enqueue(status.key);
      await new Promise((r) => setTimeout(r, 100));
      expect(patches).toHaveLength(1);
      // Once the cache shows another version, it is what counts again.
      Object.assign(cached.metadata, { resourceVersion: '9' });
      writer.enqueue(status.key);
      await vi.waitFor(() => expect(patches).toHaveLength(2));
    } finally {
      leading.abort();
      await running;
      api.close();
    }
  });

  test('leadership lost and taken again at once: the later run keeps queueing', async () => {
    const looked: string[] = [];
    const snapshot = {
      statusByKey: new Map([['Policy/ns/p', policyStatus(true)]]),
    } as unknown as Snapshot;
    const writer = new StatusWriter({
      kubeConfig: unreachable(),
      // No cached object: each look ends there, without a write.
      object: (key) => {
        looked.push(key.name);
        return undefined;
      },
      snapshot: () => snapshot,
    });
    const first = new AbortController();
    const firstRun = writer.run(first.signal);
    await vi.waitFor(() => expect(looked).toHaveLength(1));
    first.abort();
    const second = new AbortController();
    const secondRun = writer.run(second.signal);
    await firstRun;
    await vi.waitFor(() => expect(looked).toHaveLength(2));
    writer.enqueue({ kind: 'Policy', namespace: 'ns', name: 'p' });
    await vi.waitFor(() => expect(looked).toHaveLength(3));
    second.abort();
    await secondRun;
    writer.enqueue({ kind: 'Policy', namespace: 'ns', name: 'p' });
    await new Promise((r) => setTimeout(r, 20));
    expect(looked).toHaveLength(3);
  });
});

describe('EventRecorder memory', () => {
  test('a Warning is remembered for its series for an hour, then forgotten', async () => {
    // Nothing listens there: every write fails at once, which the recorder only reports.
    const kubeConfig = unreachable();
    let now = Date.parse('2026-12-06T00:00:00Z');
    const failures: string[] = [];
    const recorder = new EventRecorder({
      kubeConfig,
      identity: 'test',
      now: () => new Date(now),
      onWriteError: (verb) => failures.push(verb),
    });
    const warn = (name: string) =>
      recorder.record({ metadata: { name, namespace: 'ns', uid: name } }, 'Policy', {
        type: 'Warning',
        reason: 'InvalidSpec',
        message: 'bad',
      });
    for (let i = 0; i < 50; i++) await warn(`p${i}`);
    expect(recorder.remembered()).toBe(50);
    expect(failures).toEqual(Array(50).fill('create'));
    now += 3_600_000 + 60_001;
    await warn('later');
    expect(recorder.remembered()).toBe(1);
  });
});

describe('slimObject', () => {
  test('keeps what Railyard reads; drops labels, annotations and field ownership', () => {
    const spec = { guardrails: { add: ['pii'] } };
    const status = { observedGeneration: 2, conditions: [] };
    const slim = slimObject({
      apiVersion: 'railyard.dev/v1alpha1',
      kind: 'Policy',
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u1',
        generation: 2,
        resourceVersion: '42',
        creationTimestamp: new Date('2026-01-01T00:00:00Z'),
        labels: { team: 'a' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec }) },
        managedFields: [
          { manager: 'kubectl', operation: 'Update', time: new Date('2026-01-02T00:00:00Z'), fieldsV1: {} },
          { manager: 'argocd', operation: 'Apply', time: new Date('2026-01-03T00:00:00Z'), fieldsV1: {} },
          {
            manager: 'railyard',
            operation: 'Update',
            subresource: 'status',
            time: new Date('2026-01-04T00:00:00Z'),
            fieldsV1: {},
          },
        ],
      },
      spec,
      status,
    });
    expect(slim).toEqual({
      apiVersion: 'railyard.dev/v1alpha1',
      kind: 'Policy',
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u1',
        generation: 2,
        resourceVersion: '42',
        creationTimestamp: new Date('2026-01-01T00:00:00Z'),
        managedFields: [{ time: new Date('2026-01-03T00:00:00Z') }],
      },
      spec,
      status,
    });
    expect(slim.spec).toBe(spec);
  });
});
