import type { Catalog } from './declared-state.ts';
import { guardrailNameOf } from './names.ts';
import type { ObjectStatus } from './status.ts';
import type { Resource } from './types.ts';

/**
 * The catalogs of a full pass: every declared Guardrail name, and those with a version in force.
 * A namespace whose catalog did not change keeps the previous object.
 */
export function builtCatalogs(
  before: ReadonlyMap<string, Catalog>,
  statuses: ReadonlyMap<string, ObjectStatus>,
  sources: ReadonlyMap<string, Resource>,
  lastGood: ReadonlyMap<string, Resource>,
): Map<string, Catalog> {
  const declared = new Map<string, Set<string>>();
  const serving = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, ns: string, name: string) => {
    const names = m.get(ns);
    if (names) names.add(name);
    else m.set(ns, new Set([name]));
  };
  for (const [k, s] of statuses)
    if (s.key.kind === 'Guardrail')
      add(declared, s.key.namespace, catalogName(k, s.key.name, sources, lastGood));
  for (const r of lastGood.values())
    if (r.kind === 'Guardrail') add(serving, r.namespace, guardrailNameOf(r));
  const out = new Map<string, Catalog>();
  for (const [ns, names] of declared) {
    const was = before.get(ns);
    const now = serving.get(ns) ?? new Set<string>();
    out.set(
      ns,
      was && sameSet(was.declared, names) && sameSet(was.serving, now)
        ? was
        : { declared: names, serving: now },
    );
  }
  return out;
}

/** A Guardrail's name in the catalog (what policies use), from its resource; else its object name. */
function catalogName(
  k: string,
  objectName: string,
  sources: ReadonlyMap<string, Resource>,
  lastGood: ReadonlyMap<string, Resource>,
): string {
  const r = sources.get(k) ?? lastGood.get(k);
  return r?.kind === 'Guardrail' ? guardrailNameOf(r) : objectName;
}

/**
 * The catalogs after an edit in place (`dirty`: the same keys as before, and no Guardrail renamed,
 * so the declared names are the same): only which names have a version in force can change. The
 * name in force is that of the last good version, which need not be the edited spec's, so each
 * namespace with an edited Guardrail has its served names listed again (a catalog that comes out
 * the same keeps its object).
 */
export function editedCatalogs(
  before: ReadonlyMap<string, Catalog>,
  dirty: ReadonlySet<string>,
  lastGood: ReadonlyMap<string, Resource>,
): ReadonlyMap<string, Catalog> {
  const namespaces = new Set<string>();
  for (const k of dirty) if (k.startsWith('Guardrail/')) namespaces.add(k.split('/')[1] ?? '');
  if (namespaces.size === 0) return before;
  const serving = new Map<string, Set<string>>([...namespaces].map((ns) => [ns, new Set<string>()]));
  for (const r of lastGood.values())
    if (r.kind === 'Guardrail') serving.get(r.namespace)?.add(guardrailNameOf(r));
  let out: Map<string, Catalog> | undefined;
  for (const [ns, names] of serving) {
    const catalog = before.get(ns);
    if (catalog === undefined || sameSet(catalog.serving, names)) continue;
    out ??= new Map(before);
    out.set(ns, { declared: catalog.declared, serving: names });
  }
  return out ?? before;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
