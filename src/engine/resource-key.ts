import type { Resource } from './types.ts';

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
 * How people read an object's key: `Kind/name` in `defaultNamespace` and for a cluster-scoped
 * object, `Kind/namespace/name` elsewhere.
 */
export function displayKey(
  k: Pick<Resource, 'kind' | 'namespace' | 'name'>,
  defaultNamespace: string,
): string {
  return k.namespace === defaultNamespace || k.namespace === ''
    ? `${k.kind}/${k.name}`
    : `${k.kind}/${k.namespace}/${k.name}`;
}
