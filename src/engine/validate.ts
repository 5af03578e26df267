/**
 * Semantic checks over a set of declared resources: the rules that
 * need other objects (parents, the guardrail catalog, duplicates) or that the CRDs state as CEL
 * rules, which only the API server can run. Pure: no I/O, deterministic for a given input order.
 */

import { sameItems } from './compare.ts';
import type { GuardrailResource, Issue, Resource } from './types.ts';
import {
  declare,
  dependencyOf,
  editClaims,
  editDependents,
  nameKeysOf,
  replacements,
  withRechecked,
  withReplaced,
} from './validate-incremental.ts';
import { keyIssues, Lookup } from './validate-rules.ts';

export type ValidateOptions = {
  /** Longest allowed inheritance chain, in parent hops (LiteLLM's limit: 100). */
  readonly maxDepth?: number;
  /** Type-specific checks of a Guardrail's `config` (the guardrails module knows them). */
  readonly checkGuardrailConfig?: (g: GuardrailResource) => Issue[];
  /**
   * Whether namespaces have labels here (Kubernetes mode). Without them, a floor whose selector
   * reads labels is an error: it would silently select nothing.
   */
  readonly namespaceLabels?: boolean;
};

const DEFAULT_MAX_DEPTH = 100;

/**
 * The issues of every resource, keyed by `resourceKey`; every input resource has an entry (empty
 * when clean). Resources in different namespaces never see each other. Only `error` issues make
 * an object invalid; `warning`s are reported and do not. When two documents declare the same
 * key, both get `duplicate_object` and their other issues share that key's entry. References
 * (`inherit`, guardrail lists, an attachment's `policy`) name what proxies know (see `names.ts`);
 * when two objects claim one such name in a namespace, both get `duplicate_name`.
 */
export function validateResources(
  resources: readonly Resource[],
  opts: ValidateOptions = {},
): ReadonlyMap<string, Issue[]> {
  return revalidate(resources, opts).issues;
}

/**
 * One validation, kept so that the next one re-checks only what changed. Treat as opaque: only
 * `issues` is for reading (the same value `validateResources` returns).
 */
export type Validation = {
  readonly issues: ReadonlyMap<string, Issue[]>;
  /** The `resourceKey` of each input resource, in input order (so that callers need not compute it again). */
  readonly keys: readonly string[];
  /** Every declaration of each key, in input order. */
  readonly declarations: ReadonlyMap<string, readonly Resource[]>;
  /**
   * Per policy name key (`Policy/<namespace>/<policy name>`), the keys whose checks read it:
   * policies inheriting it, attachments of it.
   */
  readonly dependents: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Per name key (`Policy/<namespace>/<policy name>`, `Guardrail/<namespace>/<guardrail name>`), the
   * keys of the objects that claim it, sorted: references are looked up here.
   */
  readonly claims: ReadonlyMap<string, readonly string[]>;
  /** How many guardrail names each namespace's catalog holds. */
  readonly catalogSizes: ReadonlyMap<string, number>;
  readonly options: ValidateOptions;
  /** The input, so that the next validation can tell what changed position by position. */
  readonly resources: readonly Resource[];
  /**
   * The keys re-checked (their issue arrays are new), when this validation differs from the one
   * it re-used only by objects replaced under the same keys; undefined after any other change
   * (keys added, removed or duplicated) or without a previous validation.
   */
  readonly rechecked?: ReadonlySet<string>;
};

/**
 * `validateResources`, re-using `previous` (the result for an earlier input, with the same
 * options object) so that the cost follows the change: a key is re-checked when its declarations
 * changed (compared by object identity), when a policy its checks read changed (a parent anywhere
 * up the inheritance chain, an attachment's policy), when another object started or stopped
 * claiming its name, or when its namespace's guardrail catalog gained or lost a name (every
 * policy of the namespace). Every other key keeps its previous
 * issue array, the same object. `issues` always equals `validateResources(resources, options)`.
 * Pure; `previous` is left untouched.
 */
export function revalidate(
  resources: readonly Resource[],
  options: ValidateOptions = {},
  previous?: Validation,
): Validation {
  const prev = previous?.options === options ? previous : undefined;
  const replaced = prev && replacements(prev, resources);
  const { declarations, keys } = replaced
    ? { declarations: withReplaced(prev.declarations, replaced), keys: prev.keys }
    : declare(resources);
  const prevDeclarations = prev?.declarations ?? new Map<string, readonly Resource[]>();
  const changed: string[] = [];
  if (replaced) for (const { key } of replaced) changed.push(key);
  else {
    for (const [k, same] of declarations) if (!sameItems(prevDeclarations.get(k), same)) changed.push(k);
    for (const k of prevDeclarations.keys()) if (!declarations.has(k)) changed.push(k);
  }

  const catalogSizes = new Map(prev?.catalogSizes);
  let dependents = prev?.dependents ?? new Map<string, ReadonlySet<string>>();
  let claims = prev?.claims ?? new Map<string, readonly string[]>();
  const touchedCatalogs = new Set<string>();
  /** Name keys whose claimants changed, or whose claimant's content changed. */
  const touchedNames = new Set<string>();
  for (const k of changed) {
    const before = prevDeclarations.get(k) ?? [];
    const after = declarations.get(k) ?? [];
    const first = (before[0] ?? after[0]) as Resource;
    const namesBefore = nameKeysOf(before);
    const namesAfter = nameKeysOf(after);
    const renamed = !sameItems(namesBefore, namesAfter);
    if (first.kind === 'Guardrail') {
      const presence = (before.length === 0) !== (after.length === 0);
      if (presence)
        catalogSizes.set(first.namespace, (catalogSizes.get(first.namespace) ?? 0) + (after.length ? 1 : -1));
      if (presence || renamed) touchedCatalogs.add(first.namespace);
    }
    for (const n of namesBefore) touchedNames.add(n);
    for (const n of namesAfter) touchedNames.add(n);
    if (renamed) {
      if (claims === prev?.claims) claims = new Map(claims);
      const editable = claims as Map<string, readonly string[]>;
      for (const n of namesBefore) editClaims(editable, n, k, 'delete');
      for (const n of namesAfter) editClaims(editable, n, k, 'add');
    }
    const was = before.map(dependencyOf);
    const is = after.map(dependencyOf);
    if (sameItems(was, is)) continue;
    if (dependents === prev?.dependents) dependents = new Map(dependents);
    const editable = dependents as Map<string, ReadonlySet<string>>;
    for (const target of was) editDependents(editable, target, k, 'delete');
    for (const target of is) editDependents(editable, target, k, 'add');
  }

  const recheck = new Set<string>(changed);
  // A claimant of a touched name may have gained or lost a duplicate, and what reads the name may
  // now find another object (or none): re-check both, and what reads those, through the chains.
  const queue: string[] = [];
  const queued = new Set<string>();
  const enqueue = (n: string): void => {
    if (!n.startsWith('Policy/') || queued.has(n)) return;
    queued.add(n);
    queue.push(n);
  };
  const visit = (k: string): void => {
    recheck.add(k);
    if (k.startsWith('Policy/')) for (const n of nameKeysOf(declarations.get(k) ?? [])) enqueue(n);
  };
  for (const n of touchedNames) {
    enqueue(n);
    for (const k of claims.get(n) ?? []) visit(k);
  }
  // A policy may become valid (or not) when its catalog changes; what reads it follows.
  if (touchedCatalogs.size > 0) {
    for (const [k, same] of declarations) {
      const r = same[0] as Resource;
      if (r.kind === 'Policy' && touchedCatalogs.has(r.namespace)) visit(k);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    for (const d of dependents.get(queue[i] as string) ?? []) visit(d);
  }

  const lookup = new Lookup(declarations, catalogSizes, claims);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const check = (k: string): Issue[] => keyIssues(declarations.get(k) ?? [], lookup, maxDepth, options);
  // With `replaced`, the keys are the same in the same order: only the re-checked ones change.
  const issues = replaced
    ? withRechecked(prev.issues, recheck, check)
    : new Map(
        [...declarations.keys()].map((k) => [
          k,
          (recheck.has(k) ? undefined : prev?.issues.get(k)) ?? check(k),
        ]),
      );
  return {
    issues,
    keys,
    declarations,
    dependents,
    claims,
    catalogSizes,
    options,
    resources,
    ...(replaced ? { rechecked: recheck } : {}),
  };
}
