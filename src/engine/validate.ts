/**
 * Semantic checks over a set of declared resources (reference 2.9, plus DESIGN 2): the rules that
 * need other objects (parents, the guardrail catalog, duplicates) or that the CRDs state as CEL
 * rules, which only the API server can run. Pure: no I/O, deterministic for a given input order.
 */
import { checkRegex, conditionPatterns } from './condition.ts';
import { policyNameOf, proxyNameOf } from './names.ts';
import { describeOrigin } from './origin.ts';
import type {
  AttachmentResource,
  GuardrailResource,
  Issue,
  IssueCode,
  PolicyResource,
  Resource,
} from './types.ts';

/**
 * The messages of the CRDs' `x-kubernetes-validations` rules, word for word: objects that reach
 * Railyard without admission (files, the HTTP API, clusters older than 1.25, which ignore CEL
 * rules) get the message `kubectl apply` would give. The checks below that use them are the rules'
 * twins; test/unit/schema/crd-rules.test.ts runs both on the same fixtures.
 */
export const CEL_MESSAGES = {
  stepNotInAdd:
    "a pipeline step's guardrail must be listed in the policy's own spec.guardrails.add (inherited guardrails do not count); add it there or remove the step",
  scopeNotGlobal:
    'scope, if set, must be "*" (everything); to target some teams, keys, models or tags, list them instead',
  noSelector:
    'an attachment needs scope "*" or at least one non-empty selector (teams, keys, models or tags)',
  webhookUrl: 'a webhook guardrail needs spec.config.url, the http:// or https:// endpoint to call',
} as const;

export type ValidateOptions = {
  /** Longest allowed inheritance chain, in parent hops (reference: 100). */
  readonly maxDepth?: number;
  /** Type-specific checks of a Guardrail's `config` (the guardrails module knows them). */
  readonly checkGuardrailConfig?: (g: GuardrailResource) => Issue[];
};

const DEFAULT_MAX_DEPTH = 100;

/** The key of `validateResources`' result: `${kind}/${namespace}/${name}`. */
export function resourceKey(r: Pick<Resource, 'kind' | 'namespace' | 'name'>): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}

const KEYS = new WeakMap<Resource, string>();

/**
 * `resourceKey(r)`, computed once per resource object (resources are immutable): passes over
 * tens of thousands of unchanged objects then build no strings.
 */
export function cachedResourceKey(r: Resource): string {
  let k = KEYS.get(r);
  if (k === undefined) {
    k = resourceKey(r);
    KEYS.set(r, k);
  }
  return k;
}

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

/** Every declaration of each key in input order, and each input resource's key. */
function declare(resources: readonly Resource[]): {
  declarations: Map<string, Resource[]>;
  keys: string[];
} {
  const declarations = new Map<string, Resource[]>();
  const keys = resources.map(cachedResourceKey);
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i] as Resource;
    const k = keys[i] as string;
    const same = declarations.get(k);
    if (same === undefined) declarations.set(k, [r]);
    else same.push(r);
  }
  return { declarations, keys };
}

type Replacement = { readonly key: string; readonly resource: Resource };

/**
 * The objects of `resources` that replace, at the same position and under the same key, an
 * object declared once in `prev`'s input; undefined when anything else differs (a key added,
 * removed, moved or duplicated). An edit to an object in a file is this case: a re-read file
 * keeps the identity of the objects it declares unchanged, so the comparison is by identity.
 */
function replacements(prev: Validation, resources: readonly Resource[]): Replacement[] | undefined {
  const before = prev.resources;
  if (before.length !== resources.length) return undefined;
  const out: Replacement[] = [];
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i] as Resource;
    if (resource === before[i]) continue;
    const key = cachedResourceKey(resource);
    if (key !== prev.keys[i] || prev.declarations.get(key)?.length !== 1) return undefined;
    out.push({ key, resource });
  }
  return out;
}

function withRechecked(
  issues: ReadonlyMap<string, Issue[]>,
  rechecked: ReadonlySet<string>,
  check: (key: string) => Issue[],
): ReadonlyMap<string, Issue[]> {
  if (rechecked.size === 0) return issues;
  const out = new Map(issues);
  for (const k of rechecked) out.set(k, check(k));
  return out;
}

function withReplaced(
  declarations: ReadonlyMap<string, readonly Resource[]>,
  replaced: readonly Replacement[],
): ReadonlyMap<string, readonly Resource[]> {
  if (replaced.length === 0) return declarations;
  const out = new Map(declarations);
  for (const { key, resource } of replaced) out.set(key, [resource]);
  return out;
}

/** The name keys an object claims: a policy's or guardrail's proxy name, none for an attachment. */
function nameKeysOf(same: readonly Resource[]): string[] {
  const out: string[] = [];
  for (const r of same) {
    if (r.kind === 'PolicyAttachment') continue;
    const n = nameKey(r.kind, r.namespace, proxyNameOf(r));
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

const nameKey = (kind: 'Policy' | 'Guardrail', namespace: string, name: string): string =>
  `${kind}/${namespace}/${name}`;

/** Copy-on-write edit of one claims entry, kept sorted (the entries of `previous` are never mutated). */
function editClaims(
  claims: Map<string, readonly string[]>,
  name: string,
  key: string,
  op: 'add' | 'delete',
): void {
  const rest = (claims.get(name) ?? []).filter((k) => k !== key);
  if (op === 'add') rest.push(key);
  rest.sort();
  if (rest.length === 0) claims.delete(name);
  else claims.set(name, rest);
}

/** The name key of the policy whose content `r`'s own checks read, if any. */
function dependencyOf(r: Resource): string | undefined {
  if (r.kind === 'Policy')
    return r.spec.inherit === undefined ? undefined : `Policy/${r.namespace}/${r.spec.inherit}`;
  if (r.kind === 'PolicyAttachment') return `Policy/${r.namespace}/${r.spec.policy}`;
  return undefined;
}

/** Copy-on-write edit of one dependents entry (the sets of `previous` are never mutated). */
function editDependents(
  dependents: Map<string, ReadonlySet<string>>,
  target: string | undefined,
  key: string,
  op: 'add' | 'delete',
): void {
  if (target === undefined) return;
  const set = new Set(dependents.get(target));
  set[op](key);
  if (set.size === 0) dependents.delete(target);
  else dependents.set(target, set);
}

function sameItems<T>(a: readonly T[] | undefined, b: readonly T[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** One key's entry: its `duplicate_object` issues, then each declaration's own issues, in input order. */
function keyIssues(
  same: readonly Resource[],
  lookup: Lookup,
  maxDepth: number,
  opts: ValidateOptions,
): Issue[] {
  const out: Issue[] = [];
  if (same.length > 1)
    for (const r of same)
      out.push(
        duplicateIssue(
          r,
          same.filter((o) => o !== r),
        ),
      );
  for (const r of same) {
    const duplicate = duplicateNameIssue(r, lookup);
    if (duplicate) out.push(duplicate);
    switch (r.kind) {
      case 'Policy':
        out.push(...policyIssues(r, lookup.view(r.namespace), maxDepth));
        break;
      case 'PolicyAttachment':
        out.push(...attachmentIssues(r, lookup.view(r.namespace)));
        break;
      case 'Guardrail':
        out.push(...guardrailIssues(r), ...(opts.checkGuardrailConfig?.(r) ?? []));
        break;
    }
  }
  return out;
}

/**
 * What the checks may read of one namespace, by the names proxies know; when several objects claim
 * a name, lookups see the one with the first key.
 */
type NamespaceView = {
  readonly namespace: string;
  policy(name: string): PolicyResource | undefined;
  hasGuardrail(name: string): boolean;
  /** Whether the namespace has a guardrail catalog (at least one Guardrail). */
  readonly hasCatalog: boolean;
};

class Lookup {
  readonly #declarations: ReadonlyMap<string, readonly Resource[]>;
  readonly #catalogSizes: ReadonlyMap<string, number>;
  readonly #claims: ReadonlyMap<string, readonly string[]>;
  readonly #views = new Map<string, NamespaceView>();

  constructor(
    declarations: ReadonlyMap<string, readonly Resource[]>,
    catalogSizes: ReadonlyMap<string, number>,
    claims: ReadonlyMap<string, readonly string[]>,
  ) {
    this.#declarations = declarations;
    this.#catalogSizes = catalogSizes;
    this.#claims = claims;
  }

  /** The keys of the objects claiming a name key, sorted. */
  claimants(name: string): readonly string[] {
    return this.#claims.get(name) ?? [];
  }

  /** The first declaration of `key`. */
  declared(key: string): Resource | undefined {
    return this.#declarations.get(key)?.[0];
  }

  view(namespace: string): NamespaceView {
    let v = this.#views.get(namespace);
    if (v === undefined) {
      const claims = this.#claims;
      const declarations = this.#declarations;
      v = {
        namespace,
        policy: (name) => {
          const key = claims.get(nameKey('Policy', namespace, name))?.[0];
          const same = key === undefined ? undefined : declarations.get(key);
          return same?.find((r): r is PolicyResource => r.kind === 'Policy' && policyNameOf(r) === name);
        },
        hasGuardrail: (name) => claims.has(nameKey('Guardrail', namespace, name)),
        hasCatalog: (this.#catalogSizes.get(namespace) ?? 0) > 0,
      };
      this.#views.set(namespace, v);
    }
    return v;
  }
}

/** `duplicate_name` when another object of the namespace claims the name proxies know `r` by. */
function duplicateNameIssue(r: Resource, lookup: Lookup): Issue | undefined {
  if (r.kind === 'PolicyAttachment') return undefined;
  const name = proxyNameOf(r);
  const own = resourceKey(r);
  const others = lookup.claimants(nameKey(r.kind, r.namespace, name)).filter((k) => k !== own);
  if (others.length === 0) return undefined;
  const where = others
    .map((k) => {
      const o = lookup.declared(k);
      return o ? `${o.kind} "${o.name}" (${describeOrigin(o.origin)})` : k;
    })
    .join(', ');
  const field = r.kind === 'Policy' ? 'policyName' : 'guardrailName';
  const set = r.kind === 'Policy' ? r.spec.policyName : r.spec.guardrailName;
  return error(
    'duplicate_name',
    set === undefined ? 'metadata.name' : `spec.${field}`,
    `${r.kind} name "${name}" in namespace "${r.namespace}" is also claimed by ${where}; the names proxies know must be unique in a namespace: set a different spec.${field} on one of them`,
  );
}

function policyIssues(p: PolicyResource, ns: NamespaceView, maxDepth: number): Issue[] {
  return [
    ...inheritanceIssues(p, ns, maxDepth),
    ...regexIssues(p),
    ...guardrailRefIssues(p, ns),
    ...stepIssues(p, ns),
  ];
}

function inheritanceIssues(p: PolicyResource, ns: NamespaceView, maxDepth: number): Issue[] {
  const chain = [policyNameOf(p)];
  let current = p;
  while (current.spec.inherit !== undefined) {
    const parentName = current.spec.inherit;
    if (chain.includes(parentName)) {
      const cycle = [...chain, parentName].join(' -> ');
      return [
        error(
          'circular_inheritance',
          'spec.inherit',
          `Circular inheritance detected: ${cycle}; remove spec.inherit from one of these policies`,
        ),
      ];
    }
    const parent = ns.policy(parentName);
    if (parent === undefined) {
      if (current !== p) return []; // the ancestor with the missing parent reports it
      return [
        error(
          'invalid_inheritance',
          'spec.inherit',
          `parent policy "${parentName}" not found in namespace "${ns.namespace}"; create it or fix the name`,
        ),
      ];
    }
    chain.push(parentName);
    if (chain.length - 1 > maxDepth) {
      return [
        error(
          'inheritance_too_deep',
          'spec.inherit',
          `Inheritance chain too deep (exceeded max depth of ${maxDepth}); inherit from a policy nearer the root`,
        ),
      ];
    }
    current = parent;
  }
  return [];
}

function regexIssues(p: PolicyResource): Issue[] {
  const patterns = conditionPatterns(p.spec.condition) ?? [];
  const isList = Array.isArray(p.spec.condition?.model);
  return patterns.flatMap((pattern, i) => {
    const problem = checkRegex(pattern);
    if (problem === undefined) return [];
    const path = isList ? `spec.condition.model[${i}]` : 'spec.condition.model';
    return [
      error(
        'invalid_regex',
        path,
        `invalid regular expression ${JSON.stringify(pattern)} (RE2 syntax): ${problem}; fix it or write the exact model name`,
      ),
    ];
  });
}

/** Reference 2.9: checked only when the namespace has a catalog (at least one Guardrail). */
function guardrailRefIssues(p: PolicyResource, ns: NamespaceView): Issue[] {
  if (!ns.hasCatalog) return [];
  const fix = (g: string) => `create a Guardrail named "${g}" in namespace "${ns.namespace}" or fix the name`;
  return [
    ...p.spec.guardrails.add
      .filter((g) => !ns.hasGuardrail(g))
      .map((g) =>
        error(
          'invalid_guardrail',
          'spec.guardrails.add',
          `Guardrail '${g}' not found in guardrail registry; ${fix(g)}`,
        ),
      ),
    ...p.spec.guardrails.remove
      .filter((g) => !ns.hasGuardrail(g))
      .map((g) =>
        warning(
          'invalid_guardrail',
          'spec.guardrails.remove',
          `Guardrail '${g}' in remove list not found in guardrail registry; ${fix(g)}`,
        ),
      ),
  ];
}

function stepIssues(p: PolicyResource, ns: NamespaceView): Issue[] {
  const steps = p.spec.pipeline?.steps ?? [];
  return steps.flatMap((step, i) => {
    const path = `spec.pipeline.steps[${i}].guardrail`;
    const issues: Issue[] = [];
    if (!p.spec.guardrails.add.includes(step.guardrail)) {
      issues.push(error('invalid_pipeline', path, CEL_MESSAGES.stepNotInAdd));
    }
    if (ns.hasCatalog && !ns.hasGuardrail(step.guardrail)) {
      issues.push(
        error(
          'invalid_guardrail',
          path,
          `Pipeline step ${i} guardrail '${step.guardrail}' not found in guardrail registry; create a Guardrail named "${step.guardrail}" in namespace "${ns.namespace}" or fix the name`,
        ),
      );
    }
    return issues;
  });
}

function attachmentIssues(a: AttachmentResource, ns: NamespaceView): Issue[] {
  const { scope, teams, keys, models, tags } = a.spec;
  const issues: Issue[] = [];
  if (scope !== undefined && scope !== '*')
    issues.push(error('invalid_scope', 'spec.scope', CEL_MESSAGES.scopeNotGlobal));
  const hasSelector = [teams, keys, models, tags].some((list) => list.some((x) => x !== ''));
  if (scope !== '*' && !hasSelector) issues.push(error('invalid_scope', 'spec', CEL_MESSAGES.noSelector));
  if (ns.policy(a.spec.policy) === undefined) {
    issues.push(
      warning(
        'invalid_scope',
        'spec.policy',
        `policy "${a.spec.policy}" not found in namespace "${ns.namespace}"; this attachment applies nothing until it exists (create it or fix the name)`,
      ),
    );
  }
  return issues;
}

function guardrailIssues(g: GuardrailResource): Issue[] {
  if (g.spec.type !== 'webhook') return [];
  const url = g.spec.config.url;
  const ok = typeof url === 'string' && (url.startsWith('http://') || url.startsWith('https://'));
  return ok ? [] : [error('invalid_schema', 'spec.config.url', CEL_MESSAGES.webhookUrl)];
}

function duplicateIssue(r: Resource, others: readonly Resource[]): Issue {
  const where = others.map((o) => describeOrigin(o.origin)).join(', ');
  return error(
    'duplicate_object',
    'metadata.name',
    `${r.kind} "${r.name}" in namespace "${r.namespace}" is also declared at ${where}; keep one declaration and rename or delete the others`,
  );
}

function error(code: IssueCode, path: string, message: string): Issue {
  return { code, severity: 'error', path, message };
}

function warning(code: IssueCode, path: string, message: string): Issue {
  return { code, severity: 'warning', path, message };
}
