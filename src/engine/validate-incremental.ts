import { proxyNameOf } from './names.ts';
import { cachedResourceKey } from './resource-key.ts';
import type { Issue, Resource } from './types.ts';
import type { Validation } from './validate.ts';

/** Every declaration of each key in input order, and each input resource's key. */
export function declare(resources: readonly Resource[]): {
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

export type Replacement = { readonly key: string; readonly resource: Resource };

/**
 * The objects of `resources` that replace, at the same position and under the same key, an
 * object declared once in `prev`'s input; undefined when anything else differs (a key added,
 * removed, moved or duplicated). An edit to an object in a file is this case: a re-read file
 * keeps the identity of the objects it declares unchanged, so the comparison is by identity.
 */
export function replacements(prev: Validation, resources: readonly Resource[]): Replacement[] | undefined {
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

export function withRechecked(
  issues: ReadonlyMap<string, Issue[]>,
  rechecked: ReadonlySet<string>,
  check: (key: string) => Issue[],
): ReadonlyMap<string, Issue[]> {
  if (rechecked.size === 0) return issues;
  const out = new Map(issues);
  for (const k of rechecked) out.set(k, check(k));
  return out;
}

export function withReplaced(
  declarations: ReadonlyMap<string, readonly Resource[]>,
  replaced: readonly Replacement[],
): ReadonlyMap<string, readonly Resource[]> {
  if (replaced.length === 0) return declarations;
  const out = new Map(declarations);
  for (const { key, resource } of replaced) out.set(key, [resource]);
  return out;
}

/** The name keys an object claims: a policy's or guardrail's proxy name, none for an attachment or a floor. */
export function nameKeysOf(same: readonly Resource[]): string[] {
  const out: string[] = [];
  for (const r of same) {
    if (r.kind === 'PolicyAttachment' || r.kind === 'GuardrailFloor') continue;
    const n = nameKey(r.kind, r.namespace, proxyNameOf(r));
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

export const nameKey = (kind: 'Policy' | 'Guardrail', namespace: string, name: string): string =>
  `${kind}/${namespace}/${name}`;

/** Copy-on-write edit of one claims entry, kept sorted (the entries of `previous` are never mutated). */
export function editClaims(
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
export function dependencyOf(r: Resource): string | undefined {
  if (r.kind === 'Policy')
    return r.spec.inherit === undefined ? undefined : `Policy/${r.namespace}/${r.spec.inherit}`;
  if (r.kind === 'PolicyAttachment') return `Policy/${r.namespace}/${r.spec.policy}`;
  return undefined;
}

/** Copy-on-write edit of one dependents entry (the sets of `previous` are never mutated). */
export function editDependents(
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
