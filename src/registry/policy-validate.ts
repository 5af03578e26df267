/**
 * `POST /policy/validate`: policies as they would be checked if they were declared in the
 * namespace now, beside its other policies (at their production versions) and its guardrail
 * catalog. A given policy takes the place of a served one of the same name. Pure.
 */
import {
  type GuardrailResource,
  type Issue,
  type PolicyContent,
  type PolicyResource,
  productionVersion,
  type Resource,
  resourceKey,
  validateResources,
} from '../engine/index.ts';
import type { NamespaceView } from './snapshot.ts';

export type PolicyCandidate = { readonly name: string; readonly content: PolicyContent };

/** Each candidate's issues (errors and warnings), in the order given. */
export function validatePolicies(
  view: NamespaceView | undefined,
  namespace: string,
  candidates: readonly PolicyCandidate[],
): { name: string; issues: Issue[] }[] {
  const given = new Set(candidates.map((c) => c.name));
  const resources: Resource[] = [];
  for (const [name, spec] of view?.guardrails ?? []) {
    const g: GuardrailResource = {
      kind: 'Guardrail',
      namespace,
      name: `catalog:${name}`,
      origin: { kind: 'api' },
      spec: { ...spec, guardrailName: name },
    };
    resources.push(g);
  }
  for (const h of view?.histories ?? []) {
    const production = h.active && !given.has(h.name) ? productionVersion(h) : undefined;
    if (!production) continue;
    resources.push({
      kind: 'Policy',
      namespace,
      name: `served:${h.name}`,
      origin: h.origin,
      spec: { ...production.content, versionStatus: 'production', policyName: h.name },
    });
  }
  const checked: PolicyResource[] = candidates.map((c, i) => ({
    kind: 'Policy',
    namespace,
    name: `given:${i}`,
    origin: { kind: 'api' },
    spec: { ...c.content, versionStatus: 'production', policyName: c.name },
  }));
  const issues = validateResources([...resources, ...checked]);
  return checked.map((r, i) => ({
    name: candidates[i]?.name ?? '',
    issues: issues.get(resourceKey(r)) ?? [],
  }));
}
