import type { NamespaceView, Snapshot } from './snapshot.ts';

export type NamespaceChoice =
  | { ok: true; view: NamespaceView | undefined }
  /** `message` lists the namespaces served, for readers of the registry; `requested` is the one named. */
  | { ok: false; requested: string; message: string };

/**
 * The namespace a request is about: the one it names, else the only one with objects of its own
 * (`Snapshot.soleNamespace`: a namespace a floor alone makes served does not count), else the
 * configured default. `view` is undefined when nothing is served yet; naming a namespace that is
 * not served is an error value. The server, enforcement and the CLI all choose through here.
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
    return {
      ok: false,
      requested,
      message: `namespace "${requested}" is not served here (served: ${served})`,
    };
  }
  const sole =
    snapshot.soleNamespace !== undefined
      ? snapshot.soleNamespace
      : snapshot.namespaces.size === 1
        ? (snapshot.namespaces.values().next().value ?? null)
        : null;
  if (sole !== null) return { ok: true, view: sole };
  return { ok: true, view: snapshot.namespaces.get(defaultNamespace) };
}
