/** The pure parts of Kubernetes mode: desired status, its merge patch, Events. */
import { describe, expect, test } from 'vitest';
import type { ObjectStatus } from '../../src/engine/index.ts';
import { statusEvents, versionEvents } from '../../src/operator/events.ts';
import { desiredStatus, statusPatch } from '../../src/operator/status-writer.ts';

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
