/**
 * What of a policy history one ConfigMap can hold. The API server refuses a ConfigMap whose data
 * (keys and values, in bytes) exceeds 1 MiB with a 422; the store checks before it writes, with a
 * margin, and never sends what would be refused. Pure and deterministic.
 */
import {
  type HistoryFit,
  latestVersion,
  type PolicyHistory,
  type PolicyVersion,
  retainVersions,
} from '../../engine/index.ts';

/** The API server's limit on a ConfigMap's data: keys and values together, in bytes. */
export const CONFIGMAP_DATA_LIMIT = 1_048_576;
/** What one history (`history.json`) may take: the limit less 64 KiB for the key and any drift. */
export const DEFAULT_HISTORY_BYTES = CONFIGMAP_DATA_LIMIT - 64 * 1024;
/** Drafts kept besides the production version, the latest and every published version. */
export const DEFAULT_HISTORY_DRAFTS = 10;

export type FitOptions = {
  /** The newest drafts to keep (the retention rule). */
  readonly drafts: number;
  /** The most bytes `JSON.stringify(history)` may take once encoded as UTF-8. */
  readonly maxBytes: number;
};

const encoder = new TextEncoder();
const utf8Bytes = (s: string): number => encoder.encode(s).length;

/**
 * The history as the store will keep it: the retention rule first (`retainVersions`), then, while
 * it is still too large, the oldest version that is neither in production nor the latest is
 * dropped. When the production and latest versions alone do not fit, nothing is stored and the
 * message says what to do. Sizes are exact for `JSON.stringify` (each version is measured once).
 */
export function fitHistory(history: PolicyHistory, o: FitOptions): HistoryFit {
  const retained = retainVersions(history, o.drafts);
  const sizes = new Map<PolicyVersion, number>(
    retained.versions.map((v) => [v, utf8Bytes(JSON.stringify(v))]),
  );
  // `"versions":[]` grows by each version's JSON and the commas between them.
  const base = utf8Bytes(JSON.stringify({ ...retained, versions: [] }));
  const total = (versions: readonly PolicyVersion[]) =>
    base + versions.reduce((n, v) => n + (sizes.get(v) ?? 0), 0) + Math.max(0, versions.length - 1);

  const latest = latestVersion(retained);
  let versions = retained.versions;
  while (total(versions) > o.maxBytes) {
    const oldest = versions.find((v) => v.status !== 'production' && v !== latest);
    if (oldest === undefined) {
      const pinned = versions.map((v) => `${v.versionNumber} (${v.status})`).join(' and ');
      return {
        ok: false,
        message: `the history of policy "${history.name}" needs ${total(versions)} bytes with only version ${pinned}, over the ${o.maxBytes} bytes one history may take; make the spec smaller`,
      };
    }
    versions = versions.filter((v) => v !== oldest);
  }
  const kept = versions.length === history.versions.length ? history : { ...retained, versions };
  const keptNumbers = new Set(kept.versions.map((v) => v.versionNumber));
  return {
    ok: true,
    history: kept,
    dropped: history.versions.map((v) => v.versionNumber).filter((n) => !keptNumbers.has(n)),
  };
}
