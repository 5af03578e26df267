/**
 * A namespace as it would serve with a shadow version in production: its index rebuilt (from the
 * served one, incrementally) with that version in place of its policy's production version, the
 * same attachments, floor and guardrail catalog. Built on first use and kept beside the served
 * index it came from, so a snapshot swap costs nothing for shadows nobody runs.
 */
import type { PolicyIndex, PolicyVersion, ShadowTarget } from '../engine/index.ts';
import { type NamespaceView, namespaceIndex } from './snapshot.ts';

const built = new WeakMap<PolicyIndex, WeakMap<PolicyVersion, PolicyIndex>>();

/** `view` with `target.version` in production for `target.policy`. Deterministic; `view` is left alone. */
export function shadowView(view: NamespaceView, target: ShadowTarget): NamespaceView {
  let byVersion = built.get(view.index);
  if (byVersion === undefined) {
    byVersion = new WeakMap();
    built.set(view.index, byVersion);
  }
  let index = byVersion.get(target.version);
  if (index === undefined) {
    index = namespaceIndex(view, view.index, target);
    byVersion.set(target.version, index);
  }
  return { ...view, index };
}
