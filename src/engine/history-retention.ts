/**
 * Which versions a stored history keeps (whatever holds a history must fit the API
 * server's object-size limit with a retention rule). Pure.
 */
import type { PolicyHistory } from './types.ts';
import { latestVersion } from './versions.ts';

/**
 * What a store made of a history it was asked to keep: the history as it will be stored (fewer
 * versions when some had to go), or why it cannot be stored at all (the stored one stays).
 */
export type HistoryFit =
  | { readonly ok: true; readonly history: PolicyHistory; readonly dropped: readonly number[] }
  | { readonly ok: false; readonly message: string };

/**
 * The history with the versions the retention rule keeps: the production version, the latest,
 * every published version and the `drafts` newest drafts. Returns `history` itself when nothing
 * is dropped; version numbers are never re-used (the latest is always kept).
 */
export function retainVersions(history: PolicyHistory, drafts: number): PolicyHistory {
  const latest = latestVersion(history);
  const keptDrafts = new Set(
    history.versions
      .filter((v) => v.status === 'draft')
      .map((v) => v.versionNumber)
      .sort((a, b) => b - a)
      .slice(0, Math.max(0, drafts)),
  );
  const versions = history.versions.filter(
    (v) => v.status !== 'draft' || v === latest || keptDrafts.has(v.versionNumber),
  );
  return versions.length === history.versions.length ? history : { ...history, versions };
}
