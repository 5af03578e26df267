import { describe, expect, test } from 'vitest';
import type { PolicyHistory, PolicyVersion, VersionStatus } from '../../../src/engine/index.ts';
import { retainVersions } from '../../../src/engine/index.ts';

const version = (n: number, status: VersionStatus): PolicyVersion => ({
  policyId: `id-${n}`,
  policyName: 'p',
  versionNumber: n,
  status,
  parentVersionId: null,
  digest: `d${n}`,
  content: { guardrails: { add: [], remove: [] } },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  publishedAt: null,
  productionAt: null,
  createdBy: null,
  updatedBy: null,
});
const history = (...statuses: VersionStatus[]): PolicyHistory => ({
  namespace: 'ns',
  name: 'p',
  origin: { kind: 'kubernetes', namespace: 'ns', name: 'p' },
  active: true,
  versions: statuses.map((s, i) => version(i + 1, s)),
});
const numbers = (h: PolicyHistory) => h.versions.map((v) => v.versionNumber);

describe('retainVersions', () => {
  const cases = [
    {
      note: 'production, latest and every published version stay; only the newest drafts are kept',
      h: history('draft', 'published', 'draft', 'production', 'draft', 'draft', 'draft'),
      drafts: 2,
      want: [2, 4, 6, 7],
    },
    {
      note: 'the latest stays even with no drafts allowed',
      h: history('draft', 'production', 'draft'),
      drafts: 0,
      want: [2, 3],
    },
    {
      note: 'a production version that is an old draft number stays',
      h: history('production', 'draft', 'draft', 'draft'),
      drafts: 1,
      want: [1, 4],
    },
  ];
  for (const c of cases) test(c.note, () => expect(numbers(retainVersions(c.h, c.drafts))).toEqual(c.want));

  test('nothing to drop: the same object', () => {
    const h = history('published', 'production', 'draft');
    expect(retainVersions(h, 10)).toBe(h);
  });
});
