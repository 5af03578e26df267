/**
 * Semantic checks over a set of declared resources (reference 2.9, plus DESIGN 2): the rules that
 * need other objects (parents, the guardrail catalog, duplicates) or that the CRDs state as CEL
 * rules, which only the API server can run. Pure: no I/O, deterministic for a given input order.
 */
import { checkRegex, conditionPatterns } from './condition.ts';
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
 * Railyard without admission (files, the HTTP API) get the message `kubectl apply` would give.
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

/**
 * The issues of every resource, keyed by `resourceKey`; every input resource has an entry (empty
 * when clean). Resources in different namespaces never see each other. Only `error` issues make
 * an object invalid; `warning`s are reported and do not. When two documents declare the same
 * key, both get `duplicate_object` and their other issues share that key's entry.
 */
export function validateResources(
  resources: readonly Resource[],
  opts: ValidateOptions = {},
): ReadonlyMap<string, Issue[]> {
  const out = new Map<string, Issue[]>();
  for (const r of resources) out.set(resourceKey(r), []);
  const report = (r: Resource, ...issues: Issue[]) => out.get(resourceKey(r))?.push(...issues);
  for (const group of byNamespace(resources).values()) {
    const ns = new NamespaceView(group);
    for (const [r, others] of ns.duplicates) report(r, duplicateIssue(r, others));
    for (const r of group) {
      switch (r.kind) {
        case 'Policy':
          report(r, ...policyIssues(r, ns, opts.maxDepth ?? DEFAULT_MAX_DEPTH));
          break;
        case 'PolicyAttachment':
          report(r, ...attachmentIssues(r, ns));
          break;
        case 'Guardrail':
          report(r, ...guardrailIssues(r), ...(opts.checkGuardrailConfig?.(r) ?? []));
          break;
      }
    }
  }
  return out;
}

/** One namespace's objects; lookups see the first declaration of a duplicated name. */
class NamespaceView {
  readonly namespace: string;
  readonly policies = new Map<string, PolicyResource>();
  readonly guardrails = new Set<string>();
  readonly duplicates: [Resource, Resource[]][] = [];

  constructor(group: readonly Resource[]) {
    this.namespace = group[0]?.namespace ?? '';
    const byKey = new Map<string, Resource[]>();
    for (const r of group) {
      const same = byKey.get(resourceKey(r));
      if (same === undefined) byKey.set(resourceKey(r), [r]);
      else same.push(r);
      if (r.kind === 'Policy' && !this.policies.has(r.name)) this.policies.set(r.name, r);
      if (r.kind === 'Guardrail') this.guardrails.add(r.name);
    }
    for (const same of byKey.values()) {
      if (same.length < 2) continue;
      for (const r of same) this.duplicates.push([r, same.filter((o) => o !== r)]);
    }
  }
}

function byNamespace(resources: readonly Resource[]): Map<string, Resource[]> {
  const groups = new Map<string, Resource[]>();
  for (const r of resources) {
    const group = groups.get(r.namespace);
    if (group === undefined) groups.set(r.namespace, [r]);
    else group.push(r);
  }
  return groups;
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
  const chain = [p.name];
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
    const parent = ns.policies.get(parentName);
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
  if (ns.guardrails.size === 0) return [];
  const fix = (g: string) => `create a Guardrail named "${g}" in namespace "${ns.namespace}" or fix the name`;
  return [
    ...p.spec.guardrails.add
      .filter((g) => !ns.guardrails.has(g))
      .map((g) =>
        error(
          'invalid_guardrail',
          'spec.guardrails.add',
          `Guardrail '${g}' not found in guardrail registry; ${fix(g)}`,
        ),
      ),
    ...p.spec.guardrails.remove
      .filter((g) => !ns.guardrails.has(g))
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
    if (ns.guardrails.size > 0 && !ns.guardrails.has(step.guardrail)) {
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
  if (!ns.policies.has(a.spec.policy)) {
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
