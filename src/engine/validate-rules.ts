/**
 * The rules of validation, one object at a time against what its namespace declares: parents,
 * cycles, regexes, guardrail references, pipeline steps, attachment selectors, duplicates. The
 * messages of the rules the CRDs state as CEL are the CEL rules' own.
 */

import { checkRegex, conditionPatterns } from './condition.ts';
import { selectorNeedsLabels } from './label-selector.ts';
import { policyNameOf, proxyNameOf } from './names.ts';
import { describeOrigin } from './origin.ts';
import { resourceKey } from './resource-key.ts';
import type {
  AttachmentResource,
  FloorResource,
  GuardrailResource,
  Issue,
  IssueCode,
  PolicyResource,
  Resource,
} from './types.ts';
import type { ValidateOptions } from './validate.ts';
import { nameKey } from './validate-incremental.ts';

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
  floorNoNamespaces:
    'a floor needs spec.namespaces (names, or "*" for every namespace) or spec.namespaceSelector',
  selectorValues: 'In and NotIn need at least one value in values; Exists and DoesNotExist take none',
} as const;

/**
 * Why a floor's selector cannot be read here: namespaces have no labels in directory mode and in
 * the CLI, so a selector that reads labels would silently select nothing.
 */
const SELECTOR_WITHOUT_LABELS =
  'namespaces have no labels here (directory mode and the CLI read no Namespace objects), so this selector would select nothing; list the namespaces in spec.namespaces instead (the selector works in Kubernetes mode)';

/** One key's entry: its `duplicate_object` issues, then each declaration's own issues, in input order. */
export function keyIssues(
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
      case 'GuardrailFloor':
        out.push(...floorIssues(r, opts.namespaceLabels === true));
        break;
    }
  }
  return out;
}

/**
 * What the checks may read of one namespace, by the names proxies know; when several objects claim
 * a name, lookups see the one with the first key.
 */
export type NamespaceView = {
  readonly namespace: string;
  policy(name: string): PolicyResource | undefined;
  hasGuardrail(name: string): boolean;
  /** Whether the namespace has a guardrail catalog (at least one Guardrail). */
  readonly hasCatalog: boolean;
};

export class Lookup {
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

/**
 * A floor's own checks: the twins of its CRD's CEL rules, and a selector that reads labels where
 * namespaces have none (`labelsKnown` false: directory mode, the CLI).
 */
function floorIssues(f: FloorResource, labelsKnown: boolean): Issue[] {
  const issues: Issue[] = [];
  const selector = f.spec.namespaceSelector;
  if (f.spec.namespaces.length === 0 && selector === undefined)
    issues.push(error('invalid_floor', 'spec', CEL_MESSAGES.floorNoNamespaces));
  selector?.matchExpressions.forEach((e, i) => {
    if ((e.operator === 'In' || e.operator === 'NotIn') !== e.values.length > 0)
      issues.push(
        error('invalid_floor', `spec.namespaceSelector.matchExpressions[${i}]`, CEL_MESSAGES.selectorValues),
      );
  });
  if (!labelsKnown && selector !== undefined && selectorNeedsLabels(selector))
    issues.push(error('invalid_floor', 'spec.namespaceSelector', SELECTOR_WITHOUT_LABELS));
  return issues;
}

/** `duplicate_name` when another object of the namespace claims the name proxies know `r` by. */
function duplicateNameIssue(r: Resource, lookup: Lookup): Issue | undefined {
  if (r.kind === 'PolicyAttachment' || r.kind === 'GuardrailFloor') return undefined;
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
    `${r.kind} "${r.name}"${r.namespace === '' ? '' : ` in namespace "${r.namespace}"`} is also declared at ${where}; keep one declaration and rename or delete the others`,
  );
}

function error(code: IssueCode, path: string, message: string): Issue {
  return { code, severity: 'error', path, message };
}

export function warning(code: IssueCode, path: string, message: string): Issue {
  return { code, severity: 'warning', path, message };
}
