/**
 * Version and stage changes between two snapshots of one registry (base reconciled, then head on
 * top of it, as the server would see the merge): which policies got a new version, and which
 * changed what is in production.
 */

import type { ReconcileChange } from '../../engine/index.ts';
import {
  latestVersion,
  type PolicyHistory,
  productionVersion,
  type VersionStatus,
} from '../../engine/index.ts';
import type { NamespaceView, Snapshot } from '../../registry/index.ts';

export type StageChange = {
  readonly namespace: string;
  readonly policy: string;
  /** Production version number before and after (null: none, or the policy is not declared). */
  readonly production: { readonly before: number | null; readonly after: number | null };
  readonly latest: {
    readonly before: { readonly version: number; readonly status: VersionStatus } | null;
    readonly after: { readonly version: number; readonly status: VersionStatus } | null;
  };
  /** True when what serves requests changed: a promotion, a new policy, a removal. */
  readonly changesProduction: boolean;
  /** One line for people, e.g. `new version 2 is a draft; production stays at version 1`. */
  readonly summary: string;
  /** What the head pass did, in order: `version 2 created`, `version 2 promoted to production`. */
  readonly events: readonly string[];
};

function historiesOf(view: NamespaceView | undefined): Map<string, PolicyHistory> {
  return new Map((view?.histories ?? []).map((h) => [h.name, h]));
}

const production = (h: PolicyHistory | undefined): number | null =>
  (h?.active && productionVersion(h)?.versionNumber) || null;
const latest = (h: PolicyHistory | undefined) => {
  const v = h?.active ? latestVersion(h) : undefined;
  return v ? { version: v.versionNumber, status: v.status } : null;
};

/** Every policy whose production or latest version differs, sorted by namespace and name. */
export function diffVersions(
  before: Snapshot,
  after: Snapshot,
  changes: readonly ReconcileChange[],
): StageChange[] {
  const out: StageChange[] = [];
  // A change names its object; the history, the policy name proxies know (spec.policyName).
  const policyNames = new Map<string, string>();
  for (const s of [...before.statuses, ...after.statuses]) {
    if (s.key.kind === 'Policy' && s.policy?.policyName)
      policyNames.set(`${s.key.namespace}/${s.key.name}`, s.policy.policyName);
  }
  const named = changes.map((c) => {
    const name = c.key && policyNames.get(`${c.key.namespace}/${c.key.name}`);
    return name && c.key ? { ...c, key: { ...c.key, name } } : c;
  });
  const namespaces = [...new Set([...before.namespaces.keys(), ...after.namespaces.keys()])].sort();
  for (const ns of namespaces) {
    const a = historiesOf(before.namespaces.get(ns));
    const b = historiesOf(after.namespaces.get(ns));
    for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      const prod = { before: production(a.get(name)), after: production(b.get(name)) };
      const last = { before: latest(a.get(name)), after: latest(b.get(name)) };
      const events = eventsOf(named, ns, name);
      if (prod.before === prod.after && JSON.stringify(last.before) === JSON.stringify(last.after)) continue;
      out.push({
        namespace: ns,
        policy: name,
        production: prod,
        latest: last,
        changesProduction: prod.before !== prod.after,
        summary: summarize(prod, last),
        events,
      });
    }
  }
  return out;
}

function summarize(prod: StageChange['production'], last: StageChange['latest']): string {
  if (prod.before !== prod.after) {
    if (prod.after === null)
      return `taken out of production (was version ${prod.before}); nothing of it is in force`;
    if (prod.before === null) return `version ${prod.after} goes into production (nothing was before)`;
    return `production: version ${prod.before} → version ${prod.after}`;
  }
  const stays =
    prod.after === null ? 'still nothing in production' : `production stays at version ${prod.after}`;
  const newest = last.after ? `version ${last.after.version} is ${last.after.status}` : 'no version';
  return `${newest}; ${stays}`;
}

function eventsOf(changes: readonly ReconcileChange[], ns: string, name: string): string[] {
  const out: string[] = [];
  for (const c of changes) {
    if (c.key?.kind !== 'Policy' || c.key.namespace !== ns || c.key.name !== name) continue;
    if (c.kind === 'removed') out.push('no longer declared: its history is kept, inactive');
    if (c.kind !== 'version') continue;
    const ch = c.change;
    switch (ch.kind) {
      case 'created':
        out.push(`version ${ch.versionNumber} created`);
        break;
      case 'reused':
        out.push(`content equals version ${ch.versionNumber}, which is re-used`);
        break;
      case 'published':
        out.push(`version ${ch.versionNumber} published`);
        break;
      case 'promoted':
        out.push(`version ${ch.versionNumber} promoted to production`);
        break;
      case 'demoted':
        out.push(`version ${ch.versionNumber} demoted to published`);
        break;
      case 'adopted':
        out.push('adopted from the HTTP API');
        break;
      case 'reactivated':
        out.push('declared again: reactivated');
        break;
    }
  }
  return out;
}
