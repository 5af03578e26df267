import { describe, expect, test } from 'vitest';
import type { PolicyHistory, PolicyVersion, VersionStatus } from '../../../../src/engine/index.ts';
import {
  dataBytes,
  fitHistory,
  historyConfigMap,
  historyConfigMapName,
  policyLabelValue,
} from '../../../../src/store/cluster/index.ts';

/** A version whose content is about `kb` KiB (a long model list). */
const version = (n: number, status: VersionStatus, kb: number): PolicyVersion => ({
  policyId: `id-${n}`,
  policyName: 'p',
  versionNumber: n,
  status,
  parentVersionId: null,
  digest: `d${n}`,
  content: { guardrails: { add: [], remove: [] }, description: 'é'.repeat(kb * 512) },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  publishedAt: null,
  productionAt: null,
  createdBy: null,
  updatedBy: null,
});
const history = (...versions: PolicyVersion[]): PolicyHistory => ({
  namespace: 'ns',
  name: 'p',
  origin: { kind: 'kubernetes', namespace: 'ns', name: 'p' },
  active: true,
  versions,
});
const numbers = (h: PolicyHistory) => h.versions.map((v) => v.versionNumber);
const bytes = (h: PolicyHistory) => new TextEncoder().encode(JSON.stringify(h)).length;

describe('fitHistory', () => {
  test('a history under the limit keeps its versions (drafts by the retention rule)', () => {
    const h = history(version(1, 'draft', 1), version(2, 'draft', 1), version(3, 'production', 1));
    const fit = fitHistory(h, { drafts: 1, maxBytes: 1_000_000 });
    expect(fit).toMatchObject({ ok: true, dropped: [1] });
    if (fit.ok) expect(numbers(fit.history)).toEqual([2, 3]);
  });

  test('too large: the oldest versions that are neither production nor latest go first, and it fits', () => {
    const h = history(
      version(1, 'published', 100),
      version(2, 'production', 100),
      version(3, 'published', 100),
      version(4, 'draft', 100),
    );
    const maxBytes = 350 * 1024; // UTF-8 'é' is two bytes: each version is about 100 KiB
    const fit = fitHistory(h, { drafts: 10, maxBytes });
    expect(fit).toMatchObject({ ok: true, dropped: [1] });
    if (fit.ok) {
      expect(numbers(fit.history)).toEqual([2, 3, 4]);
      expect(bytes(fit.history)).toBeLessThanOrEqual(maxBytes);
    }
  });

  test('sizes are exact: a limit of exactly the serialized size keeps everything', () => {
    const h = history(version(1, 'published', 3), version(2, 'production', 3));
    expect(fitHistory(h, { drafts: 10, maxBytes: bytes(h) })).toMatchObject({ ok: true, dropped: [] });
    expect(fitHistory(h, { drafts: 10, maxBytes: bytes(h) - 1 })).toMatchObject({ ok: true, dropped: [1] });
  });

  test('production and latest alone do not fit: not stored, and the message says what to do', () => {
    const h = history(version(1, 'production', 100), version(2, 'draft', 100));
    const fit = fitHistory(h, { drafts: 10, maxBytes: 150 * 1024 });
    expect(fit.ok).toBe(false);
    if (!fit.ok)
      expect(fit.message).toMatch(/version 1 \(production\) and 2 \(draft\).*make the spec smaller/);
  });
});

describe('history ConfigMaps', () => {
  const long = `${'a'.repeat(250)}.b`;
  const cases = [
    { note: 'namespace and name', ns: 'team-a', name: 'gpt4', cm: 'railyard-policy-team-a.gpt4' },
    {
      note: 'a long name is shortened with a hash of namespace and name',
      ns: 'ns',
      name: long,
      cm: expect.stringMatching(/^railyard-policy-ns\.a{150}-[0-9a-f]{16}$/),
    },
    {
      note: 'a name that is no object name (an API-created one) is made one',
      ns: 'ns',
      name: 'My Policy',
      cm: expect.stringMatching(/^railyard-policy-ns\.my-policy-[0-9a-f]{16}$/),
    },
  ];
  for (const c of cases) test(c.note, () => expect(historyConfigMapName(c.ns, c.name)).toEqual(c.cm));

  test('the same name in two namespaces, and two long names, get different objects', () => {
    expect(historyConfigMapName('a', 'p')).not.toBe(historyConfigMapName('b', 'p'));
    expect(historyConfigMapName('ns', `${long}x`)).not.toBe(historyConfigMapName('ns', `${long}y`));
  });

  test('labels: a long policy name is hashed, the namespace is kept', () => {
    expect(policyLabelValue('gpt4')).toBe('gpt4');
    expect(policyLabelValue(long)).toMatch(/^a{46}-[0-9a-f]{16}$/);
    // A name proxies know (spec.policyName) need not be a label value: a prefix and a hash then.
    expect(policyLabelValue('Finance Baseline/v2')).toMatch(/^Finance-Baseline-v2-[0-9a-f]{16}$/);
    const cm = historyConfigMap('railyard', history(version(1, 'production', 1)));
    expect(cm.metadata).toMatchObject({
      namespace: 'railyard',
      labels: {
        'railyard.dev/policy-namespace': 'ns',
        'railyard.dev/policy': 'p',
        'railyard.dev/production-version': '1',
      },
    });
    expect(dataBytes(cm.data)).toBe('history.json'.length + bytes(history(version(1, 'production', 1))));
  });
});
