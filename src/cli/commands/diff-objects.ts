/**
 * Object-level diff of two sets of declared resources: added, removed, and changed field by field
 * (on the CR document form, defaults applied, so `priority: 0` and no priority are equal).
 */
import { type Kind, type Origin, type Resource, resourceKey } from '../../engine/index.ts';
import { toDocument } from '../../schema/index.ts';

type FieldChange = { readonly path: string; readonly before: unknown; readonly after: unknown };

export type ObjectChange = {
  readonly change: 'added' | 'removed' | 'changed';
  readonly kind: Kind;
  readonly namespace: string;
  readonly name: string;
  /** Where the object is declared: the head side, or the base side for a removal. */
  readonly origin: Origin;
  /** For `changed`: every leaf that differs, in path order. */
  readonly fields: readonly FieldChange[];
};

const CHANGE_ORDER = { removed: 0, changed: 1, added: 2 } as const;

/**
 * The changes from `base` to `head`, removals first, then by kind, namespace and name. When a key
 * is declared twice on one side, the first declaration counts (as in validation).
 */
export function diffObjects(base: readonly Resource[], head: readonly Resource[]): ObjectChange[] {
  const before = firstByKey(base);
  const after = firstByKey(head);
  const out: ObjectChange[] = [];
  const entry = (change: ObjectChange['change'], r: Resource, fields: FieldChange[] = []): ObjectChange => ({
    change,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    origin: r.origin,
    fields,
  });
  for (const [key, old] of before) {
    const now = after.get(key);
    if (!now) out.push(entry('removed', old));
    else {
      const fields = diffValues('spec', toDocument(old).spec, toDocument(now).spec);
      if (fields.length > 0) out.push(entry('changed', now, fields));
    }
  }
  for (const [key, now] of after) if (!before.has(key)) out.push(entry('added', now));
  return out.sort(
    (a, b) =>
      CHANGE_ORDER[a.change] - CHANGE_ORDER[b.change] ||
      a.kind.localeCompare(b.kind) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
}

function firstByKey(resources: readonly Resource[]): Map<string, Resource> {
  const map = new Map<string, Resource>();
  for (const r of resources) if (!map.has(resourceKey(r))) map.set(resourceKey(r), r);
  return map;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalarList = (v: unknown): boolean =>
  Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null);

/**
 * Leaf differences of two JSON values under `path`. Mappings recurse by key; lists of scalars are
 * one leaf (shown whole, old → new); other lists recurse by index. Absent is `undefined`.
 */
function diffValues(path: string, a: unknown, b: unknown): FieldChange[] {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(`${path}.${k}`, a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b) && !(isScalarList(a) && isScalarList(b))) {
    const n = Math.max(a.length, b.length);
    return Array.from({ length: n }, (_, i) => diffValues(`${path}[${i}]`, a[i], b[i])).flat();
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path, before: a, after: b }];
}
