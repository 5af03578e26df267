import type { NamespaceView, Snapshot } from './snapshot.ts';

export type NamespaceChoice = { ok: true; view: NamespaceView | undefined } | { ok: false; message: string };

/**
 * The namespace a request is about: the one it names, else the only one served, else the
 * configured default. `view` is undefined when nothing is served yet; naming a namespace that is
 * not served is an error value. The server and the CLI both choose through here.
 */
export function chooseNamespace(
  snapshot: Snapshot,
  requested: string | undefined,
  defaultNamespace: string,
): NamespaceChoice {
  if (requested !== undefined) {
    const view = snapshot.namespaces.get(requested);
    if (view) return { ok: true, view };
    const served = [...snapshot.namespaces.keys()].join(', ') || 'none';
    return { ok: false, message: `namespace "${requested}" is not served here (served: ${served})` };
  }
  if (snapshot.namespaces.size === 1) return { ok: true, view: snapshot.namespaces.values().next().value };
  return { ok: true, view: snapshot.namespaces.get(defaultNamespace) };
}
