import type { NamespaceView, Snapshot } from '../app/index.ts';
import { HttpError } from './errors.ts';

/**
 * The namespace a request is about: the one it names, else the only one served, else the
 * configured default. Undefined when nothing is served yet; 404 for a namespace that is not.
 */
export function selectNamespace(
  snapshot: Snapshot,
  requested: string | undefined,
  defaultNamespace: string,
): NamespaceView | undefined {
  if (requested !== undefined) {
    const view = snapshot.namespaces.get(requested);
    if (view) return view;
    const served = [...snapshot.namespaces.keys()].join(', ') || 'none';
    throw new HttpError('not_found', `namespace "${requested}" is not served here (served: ${served})`);
  }
  if (snapshot.namespaces.size === 1) return snapshot.namespaces.values().next().value;
  return snapshot.namespaces.get(defaultNamespace);
}
