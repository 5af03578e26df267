/**
 * The blast radius of a change, for `railyard diff` and `POST /policies/attachments/estimate-impact`:
 * the request contexts a namespace's objects name, and which guardrails each gains and loses
 * between two indexes. Pure and deterministic.
 */
import { byText } from './compare.ts';
import { conditionPatterns } from './condition.ts';
import type { PolicyIndex } from './index-types.ts';
import { policyNameOf } from './names.ts';
import { resolve } from './resolve.ts';
import type { AttachmentSpec, Condition, RequestContext, Resource } from './types.ts';

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

/** What one namespace declares that names request contexts. */
export type ContextSources = {
  readonly attachments: readonly AttachmentSpec[];
  /** Each policy's own condition, by the name proxies know it by. */
  readonly conditions: ReadonlyMap<string, Condition | undefined>;
};

/**
 * The contexts one namespace's objects name: the empty request; one context per team, key, model
 * and tag pattern named by an attachment or a condition (the pattern text itself is the value:
 * `medical-*` stands for any team with that prefix, `gpt-4.*` for the models that condition
 * accepts); and, per attachment, the combinations of its selectors (with its policy's condition
 * models when it selects no model), so that AND-ed selectors are exercised too. Unique by label,
 * in the order first named.
 */
export function contextsNamedBy(sources: ContextSources): RequestContext[] {
  const seen = new Map<string, RequestContext>();
  const add = (ctx: RequestContext) => seen.set(contextLabel(ctx), ctx);
  add({});
  const models = (policy: string): string[] => [...(conditionPatterns(sources.conditions.get(policy)) ?? [])];
  for (const policy of sources.conditions.keys()) for (const model of models(policy)) add({ model });
  for (const spec of sources.attachments) {
    if (spec.scope === '*') continue;
    const named = (list: readonly string[]) => list.filter((v) => v !== '*');
    const dims: Dims = {
      teams: named(spec.teams),
      keys: named(spec.keys),
      models: named(spec.models),
      tags: named(spec.tags),
    };
    for (const teamAlias of dims.teams) add({ teamAlias });
    for (const keyAlias of dims.keys) add({ keyAlias });
    for (const model of dims.models) add({ model });
    for (const tag of dims.tags) add({ tags: [tag] });
    if (dims.models.length === 0) dims.models = models(spec.policy);
    for (const ctx of combinations(dims)) add(ctx);
  }
  return [...seen.values()];
}

/** `contextsNamedBy` for every namespace of a set of declared resources. */
export function namedContexts(resources: readonly Resource[]): Map<string, RequestContext[]> {
  const byNamespace = new Map<
    string,
    { attachments: AttachmentSpec[]; conditions: Map<string, Condition | undefined> }
  >();
  const group = (ns: string) => {
    let g = byNamespace.get(ns);
    if (!g) {
      g = { attachments: [], conditions: new Map() };
      byNamespace.set(ns, g);
    }
    return g;
  };
  for (const r of resources) {
    if (r.kind === 'GuardrailFloor') continue; // cluster-scoped: it names no request context
    const g = group(r.namespace);
    if (r.kind === 'PolicyAttachment') g.attachments.push(r.spec);
    if (r.kind !== 'Policy') continue;
    const name = policyNameOf(r);
    const models = [
      ...(conditionPatterns(g.conditions.get(name)) ?? []),
      ...(conditionPatterns(r.spec.condition) ?? []),
    ];
    g.conditions.set(name, models.length > 0 ? { model: models } : g.conditions.get(name));
  }
  return new Map([...byNamespace].map(([ns, g]) => [ns, contextsNamedBy(g)]));
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
 * For every namespace of either side and every context of `contexts` (for that namespace; the
 * empty request where it names none: a namespace a floor alone selects) plus `extra` (for all of
 * them), what `resolve` answers before and after, the floor of each index included; only contexts
 * whose guardrails changed are returned, sorted by namespace and label. Deterministic.
 */
export function blastRadius(
  before: ReadonlyMap<string, PolicyIndex>,
  after: ReadonlyMap<string, PolicyIndex>,
  contexts: ReadonlyMap<string, readonly RequestContext[]>,
  extra: readonly RequestContext[] = [],
): ContextImpact[] {
  const namespaces = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: ContextImpact[] = [];
  for (const ns of namespaces) {
    const named = contexts.get(ns) ?? [{}];
    const unique = new Map([...named, ...extra].map((c) => [contextLabel(c), c]));
    const a = before.get(ns);
    const b = after.get(ns);
    for (const [, context] of [...unique].sort(([x], [y]) => byText(x, y))) {
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
