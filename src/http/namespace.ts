import { chooseNamespace, type NamespaceView, type Snapshot } from '../registry/index.ts';
import { HttpError } from './errors.ts';

/** `chooseNamespace` for a request: a namespace that is not served is a 404. */
export function selectNamespace(
  snapshot: Snapshot,
  requested: string | undefined,
  defaultNamespace: string,
): NamespaceView | undefined {
  const choice = chooseNamespace(snapshot, requested, defaultNamespace);
  if (!choice.ok) throw new HttpError('not_found', choice.message);
  return choice.view;
}
