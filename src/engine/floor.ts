/**
 * Guardrail floors: which namespaces each floor selects, and the mandatory guardrails of each
 * namespace. Pure and deterministic; the order of the floors given does not matter.
 */
import { byText } from './compare.ts';
import { matchesLabelSelector, selectorNeedsLabels } from './label-selector.ts';
import type { FloorGuardrail, FloorResource, Labels } from './types.ts';

/** `spec.namespaces: ['*']`: every namespace. */
const ALL_NAMESPACES = '*';

/**
 * The namespaces a floor applies to, sorted: those `spec.namespaces` names (each, whether or not
 * anything else is declared there), every candidate for `*`, and the candidates whose labels match
 * `spec.namespaceSelector`. Without labels (`labels` undefined: directory mode, the CLI) a
 * selector that reads labels selects nothing (validation refuses such a floor there); an empty
 * selector selects every candidate.
 */
export function floorNamespaces(
  floor: FloorResource,
  candidates: Iterable<string>,
  labels: ReadonlyMap<string, Labels> | undefined,
): string[] {
  const out = new Set<string>();
  const { namespaces, namespaceSelector } = floor.spec;
  const all = namespaces.includes(ALL_NAMESPACES);
  for (const ns of namespaces) if (ns !== ALL_NAMESPACES) out.add(ns);
  const readsLabels = namespaceSelector !== undefined && selectorNeedsLabels(namespaceSelector);
  if (all || namespaceSelector !== undefined) {
    for (const ns of candidates) {
      if (ns === '') continue;
      if (all || !readsLabels) out.add(ns);
      else if (labels && namespaceSelector && matchesLabelSelector(namespaceSelector, labels.get(ns) ?? {}))
        out.add(ns);
    }
  }
  return [...out].sort();
}

/** True when which namespaces the floor selects depends on what namespaces exist. */
export function floorNeedsCandidates(floor: FloorResource): boolean {
  return floor.spec.namespaces.includes(ALL_NAMESPACES) || floor.spec.namespaceSelector !== undefined;
}

/**
 * The mandatory guardrails of every namespace some floor selects: per namespace, one entry per
 * (guardrail, floor), sorted by guardrail then floor name. A namespace no floor selects has no
 * entry.
 */
export function floorsByNamespace(
  floors: readonly FloorResource[],
  candidates: Iterable<string>,
  labels: ReadonlyMap<string, Labels> | undefined,
): Map<string, readonly FloorGuardrail[]> {
  const pool = [...candidates];
  const byNamespace = new Map<string, FloorGuardrail[]>();
  for (const floor of floors) {
    for (const ns of floorNamespaces(floor, pool, labels)) {
      let list = byNamespace.get(ns);
      if (list === undefined) {
        list = [];
        byNamespace.set(ns, list);
      }
      for (const guardrail of floor.spec.guardrails) list.push({ guardrail, floor: floor.name });
    }
  }
  const out = new Map<string, readonly FloorGuardrail[]>();
  for (const ns of [...byNamespace.keys()].sort()) {
    const list = (byNamespace.get(ns) ?? []).sort(byGuardrailThenFloor);
    out.set(
      ns,
      list.filter(
        (e, i) => i === 0 || e.guardrail !== list[i - 1]?.guardrail || e.floor !== list[i - 1]?.floor,
      ),
    );
  }
  return out;
}

const byGuardrailThenFloor = (a: FloorGuardrail, b: FloorGuardrail): number =>
  byText(a.guardrail, b.guardrail) || byText(a.floor, b.floor);

/** The guardrail names of a floor, sorted and unique. */
export function floorGuardrailNames(floor: readonly FloorGuardrail[]): string[] {
  const out: string[] = [];
  for (const e of floor) if (out[out.length - 1] !== e.guardrail) out.push(e.guardrail);
  return out;
}

/** Equal floors (same entries in the same order). */
export function sameFloor(
  a: readonly FloorGuardrail[] | undefined,
  b: readonly FloorGuardrail[] | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((e, i) => e.guardrail === b[i]?.guardrail && e.floor === b[i]?.floor);
}

/** `pii-mask` is mandatory in namespace `ns` (floor `f`): the message a removal of it gets everywhere. */
export function mandatoryMessage(guardrail: string, namespace: string, floors: readonly string[]): string {
  const by = floors.map((f) => `GuardrailFloor "${f}"`).join(', ');
  return `\`${guardrail}\` is mandatory in namespace ${namespace} (${by}): its removal has no effect`;
}
