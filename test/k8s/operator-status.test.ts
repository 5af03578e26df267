/** The pure parts of Kubernetes mode: desired status, its merge patch, store naming, Events. */
import { describe, expect, test } from 'vitest';
import type { ObjectStatus } from '../../src/engine/index.ts';
import { statusEvents, versionEvents } from '../../src/operator/events.ts';
import { desiredStatus, statusPatch } from '../../src/operator/status-writer.ts';
import { historyConfigMapName, policyLabelValue } from '../../src/store/cluster/cluster-store.ts';

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

describe('store naming', () => {
  const long = `${'a'.repeat(250)}.b`;
  const cases = [
    { note: 'a short name is kept', name: 'gpt4', cm: 'railyard-policy-gpt4', label: 'gpt4' },
    {
      note: 'a long name is shortened with a hash',
      name: long,
      cm: expect.stringMatching(/^railyard-policy-a{200}-[0-9a-f]{16}$/),
      label: expect.stringMatching(/^a{46}-[0-9a-f]{16}$/),
    },
    {
      note: 'a policy name that is no object name (spec.policyName) gets a valid one with a hash',
      name: 'Finance Baseline/v2',
      cm: expect.stringMatching(/^railyard-policy-finance-baseline-v2-[0-9a-f]{16}$/),
      label: expect.stringMatching(/^Finance-Baseline-v2-[0-9a-f]{16}$/),
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      expect(historyConfigMapName(c.name)).toEqual(c.cm);
      expect(policyLabelValue(c.name)).toEqual(c.label);
    });
  }
  test('different long names get different objects', () =>
    expect(historyConfigMapName(`${long}x`)).not.toBe(historyConfigMapName(`${long}y`)));
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
});
