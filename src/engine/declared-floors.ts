/**
 * What the floors mean for one pass: the floors in force (the last good version of a floor whose
 * edit is invalid), the mandatory guardrails of each namespace they select, the warnings of the
 * policies that remove one, and each floor's Ready condition.
 */
import type { Catalog, DeclaredInput, DeclaredState } from './declared-state.ts';
import { floorNeedsCandidates, floorsByNamespace, mandatoryMessage, sameFloor } from './floor.ts';
import { resourceKey } from './resource-key.ts';
import { condition, type FloorStatusDetail, type StatusCondition } from './status.ts';
import type { FloorGuardrail, FloorResource, Issue, Key, PolicyHistory, Resource } from './types.ts';
import type { Validation } from './validate.ts';
import { warning } from './validate-rules.ts';

type Floors = ReadonlyMap<string, readonly FloorGuardrail[]>;

/**
 * The mandatory guardrails of every namespace a floor in force selects. The candidates of `*`
 * and of selectors are the namespaces of the declared objects and histories, and those whose
 * labels the input carries. Returns `prev.floors` itself when nothing changed, and keeps each
 * unchanged namespace's entry, so that an unchanged floor map is one identity check.
 */
export function floorsInForce(
  input: DeclaredInput,
  validation: Validation,
  prev: DeclaredState,
  histories: ReadonlyMap<string, PolicyHistory>,
): Floors {
  const inForce: FloorResource[] = [];
  const seen = new Set<string>();
  const take = (k: string, r: Resource | undefined): void => {
    if (seen.has(k)) return;
    seen.add(k);
    if (r?.kind === 'GuardrailFloor') inForce.push(r);
  };
  for (let i = 0; i < input.resources.length; i++) {
    const r = input.resources[i] as Resource;
    if (r.kind !== 'GuardrailFloor') continue;
    const k = validation.keys[i] as string;
    const invalid = (validation.issues.get(k) ?? []).some((issue) => issue.severity === 'error');
    take(k, invalid ? prev.lastGood.get(k) : r);
  }
  for (const rejected of input.rejected)
    if (rejected.key?.kind === 'GuardrailFloor') {
      const k = resourceKey(rejected.key);
      take(k, prev.lastGood.get(k));
    }
  if (inForce.length === 0) return prev.floors.size === 0 ? prev.floors : new Map();
  const candidates = new Set<string>();
  if (inForce.some(floorNeedsCandidates)) {
    for (const r of input.resources) if (r.kind !== 'GuardrailFloor') candidates.add(r.namespace);
    for (const h of histories.values()) candidates.add(h.namespace);
    for (const ns of input.namespaceLabels?.keys() ?? []) candidates.add(ns);
  }
  const next = floorsByNamespace(inForce, candidates, input.namespaceLabels);
  let same = next.size === prev.floors.size;
  const out = new Map<string, readonly FloorGuardrail[]>();
  for (const [ns, list] of next) {
    const was = prev.floors.get(ns);
    if (was !== undefined && sameFloor(was, list)) out.set(ns, was);
    else {
      out.set(ns, list);
      same = false;
    }
  }
  return same ? prev.floors : out;
}

type Warned = {
  readonly declarations: readonly Resource[];
  readonly floor: readonly FloorGuardrail[];
  readonly out: Issue[];
};
const warned = new WeakMap<readonly Issue[], Warned>();

/**
 * A key's issues with a warning for each guardrail that one of its declarations (a policy)
 * removes while the floor of its namespace makes it mandatory: the removal has no effect, and the
 * policy is not invalid for it. Like validation's, the entry is the key's, whatever declaration
 * it is read for. The same array as given when there is no such removal, and the same result array
 * for the same inputs, so that statuses computed from it can be re-used.
 */
export function withMandatory(issues: Issue[], declarations: readonly Resource[], floors: Floors): Issue[] {
  const first = declarations[0];
  if (first?.kind !== 'Policy') return issues;
  const floor = floors.get(first.namespace);
  if (floor === undefined) return issues;
  const removals: [Resource, string][] = [];
  for (const r of declarations)
    if (r.kind === 'Policy')
      for (const g of r.spec.guardrails.remove)
        if (floor.some((e) => e.guardrail === g)) removals.push([r, g]);
  if (removals.length === 0) return issues;
  const before = warned.get(issues);
  if (before !== undefined && before.declarations === declarations && before.floor === floor)
    return before.out;
  const out = [
    ...issues,
    ...removals.map(([r, g]) =>
      warning(
        'mandatory_guardrail',
        'spec.guardrails.remove',
        mandatoryMessage(
          g,
          r.namespace,
          floor.filter((e) => e.guardrail === g).map((e) => e.floor),
        ),
      ),
    ),
  ];
  warned.set(issues, { declarations, floor, out });
  return out;
}

/** A floor's Ready condition and where it applies, from the pass's floors and catalogs. */
export function floorReadiness(
  key: Key,
  state: DeclaredState,
  errors: readonly Issue[],
  serving: string,
): { condition: StatusCondition; detail: FloorStatusDetail } {
  const namespaces: string[] = [];
  const missing: { namespace: string; guardrails: string[] }[] = [];
  let guardrails: readonly string[] = [];
  for (const [ns, list] of state.floors) {
    const own = list.filter((e) => e.floor === key.name).map((e) => e.guardrail);
    if (own.length === 0) continue;
    guardrails = own;
    namespaces.push(ns);
    const catalog: Catalog | undefined = state.catalogs.get(ns);
    const lacking = catalog === undefined ? [] : own.filter((g) => !catalog.serving.has(g));
    if (lacking.length > 0) missing.push({ namespace: ns, guardrails: lacking });
  }
  const detail = { namespaces, missing };
  if (errors.length > 0) {
    const where = namespaces.length > 0 ? `; it applies to ${count(namespaces.length)}` : '';
    return {
      condition: condition('Ready', false, 'InvalidSpec', `Not applied: ${serving}${where}`),
      detail,
    };
  }
  const first = missing[0];
  if (first !== undefined) {
    const more =
      missing.length > 1 ? ` (and ${missing.length - 1} more namespace${missing.length > 2 ? 's' : ''})` : '';
    return {
      condition: condition(
        'Ready',
        false,
        'GuardrailNotFound',
        `guardrail${first.guardrails.length > 1 ? 's' : ''} ${first.guardrails.map((g) => `"${g}"`).join(', ')} of this floor ${first.guardrails.length > 1 ? 'are' : 'is'} not in the guardrail catalog of namespace "${first.namespace}"${more}, so enforcement there cannot decide; create ${first.guardrails.length > 1 ? 'them' : 'it'} there (a Guardrail) or take the namespace out of the floor`,
      ),
      detail,
    };
  }
  const message =
    namespaces.length === 0
      ? 'The floor applies to no namespace now'
      : `${guardrails.map((g) => `"${g}"`).join(', ')} ${guardrails.length > 1 ? 'are' : 'is'} mandatory in ${count(namespaces.length)}`;
  return { condition: condition('Ready', true, 'Enforced', message), detail };
}

const count = (n: number): string => `${n} namespace${n === 1 ? '' : 's'}`;
