/**
 * The blast radius of a change: for request contexts named in either tree (and any the user lists),
 * which guardrails each gains and loses, comparing `resolve` on the two snapshots.
 */

import { conditionPatterns, type RequestContext, type Resource, resolve } from '../../engine/index.ts';
import type { Snapshot } from '../../registry/index.ts';

export type ContextImpact = {
  readonly namespace: string;
  readonly context: RequestContext;
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly gained: readonly string[];
  readonly lost: readonly string[];
};

/** Most contexts one attachment contributes (the product of its selector values). */
const MAX_PER_ATTACHMENT = 64;

type Dims = { teams: string[]; keys: string[]; models: string[]; tags: string[] };

/** A stable label and dedupe key: `team_alias=x key_alias=y model=m tags=a,b` (absent fields left out). */
export function contextLabel(ctx: RequestContext): string {
  const parts = [
    ctx.teamAlias != null ? `team_alias=${ctx.teamAlias}` : '',
    ctx.keyAlias != null ? `key_alias=${ctx.keyAlias}` : '',
    ctx.model != null ? `model=${ctx.model}` : '',
    ctx.tags && ctx.tags.length > 0 ? `tags=${ctx.tags.join(',')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : '(no team, key, model or tags)';
}

/**
 * The contexts each namespace's objects name: the empty request; one context per team, key,
 * model and tag pattern named by an attachment or a condition (the pattern text itself is the
 * value: `medical-*` stands for any team with that prefix, `gpt-4.*` for the models that
 * condition accepts); and, per attachment, the combinations of its selectors (with its policy's
 * condition models when it selects no model), so that AND-ed selectors are exercised too.
 */
export function namedContexts(resources: readonly Resource[]): Map<string, RequestContext[]> {
  const out = new Map<string, Map<string, RequestContext>>();
  const add = (ns: string, ctx: RequestContext) => {
    let seen = out.get(ns);
    if (!seen) {
      seen = new Map();
      out.set(ns, seen);
    }
    seen.set(contextLabel(ctx), ctx);
  };
  const conditionModels = new Map<string, Set<string>>();
  for (const r of resources) {
    if (r.kind !== 'Policy') continue;
    const key = `${r.namespace}/${r.name}`;
    const models = conditionModels.get(key) ?? new Set();
    for (const m of conditionPatterns(r.spec.condition) ?? []) models.add(m);
    conditionModels.set(key, models);
  }
  for (const r of resources) {
    add(r.namespace, {});
    if (r.kind === 'Policy') {
      for (const model of conditionModels.get(`${r.namespace}/${r.name}`) ?? []) add(r.namespace, { model });
    }
    if (r.kind !== 'PolicyAttachment' || r.spec.scope === '*') continue;
    const named = (list: readonly string[]) => list.filter((v) => v !== '*');
    const dims: Dims = {
      teams: named(r.spec.teams),
      keys: named(r.spec.keys),
      models: named(r.spec.models),
      tags: named(r.spec.tags),
    };
    for (const teamAlias of dims.teams) add(r.namespace, { teamAlias });
    for (const keyAlias of dims.keys) add(r.namespace, { keyAlias });
    for (const model of dims.models) add(r.namespace, { model });
    for (const tag of dims.tags) add(r.namespace, { tags: [tag] });
    if (dims.models.length === 0)
      dims.models = [...(conditionModels.get(`${r.namespace}/${r.spec.policy}`) ?? [])];
    for (const ctx of combinations(dims)) add(r.namespace, ctx);
  }
  return new Map([...out].map(([ns, m]) => [ns, [...m.values()]]));
}

function combinations(d: Dims): RequestContext[] {
  const axis = <T>(values: readonly T[]): (T | undefined)[] =>
    values.length > 0 ? [...values] : [undefined];
  const out: RequestContext[] = [];
  for (const teamAlias of axis(d.teams))
    for (const keyAlias of axis(d.keys))
      for (const model of axis(d.models))
        for (const tag of axis(d.tags)) {
          if (out.length >= MAX_PER_ATTACHMENT) return out;
          out.push({
            ...(teamAlias !== undefined ? { teamAlias } : {}),
            ...(keyAlias !== undefined ? { keyAlias } : {}),
            ...(model !== undefined ? { model } : {}),
            ...(tag !== undefined ? { tags: [tag] } : {}),
          });
        }
  return out;
}

/**
 * For every namespace of either snapshot and every context of `contexts` (for that namespace)
 * plus `extra` (for all of them), what `resolve` answers before and after; only contexts whose
 * guardrails changed are returned, sorted by namespace and label. Deterministic.
 */
export function blastRadius(
  before: Snapshot,
  after: Snapshot,
  contexts: ReadonlyMap<string, readonly RequestContext[]>,
  extra: readonly RequestContext[] = [],
): ContextImpact[] {
  const namespaces = [...new Set([...before.namespaces.keys(), ...after.namespaces.keys()])].sort();
  const out: ContextImpact[] = [];
  for (const ns of namespaces) {
    const unique = new Map([...(contexts.get(ns) ?? []), ...extra].map((c) => [contextLabel(c), c]));
    const a = before.namespaces.get(ns)?.index;
    const b = after.namespaces.get(ns)?.index;
    for (const [, context] of [...unique].sort(([x], [y]) => x.localeCompare(y))) {
      const was = a ? resolve(a, context).effectiveGuardrails : [];
      const now = b ? resolve(b, context).effectiveGuardrails : [];
      const gained = now.filter((g) => !was.includes(g));
      const lost = was.filter((g) => !now.includes(g));
      if (gained.length > 0 || lost.length > 0)
        out.push({ namespace: ns, context, before: was, after: now, gained, lost });
    }
  }
  return out;
}
