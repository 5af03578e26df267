/** A tree loaded the way `serve` loads it, into a real `Registry` over an in-memory store. */

import type { DeclaredInput, PolicyIndex } from '../src/engine/index.ts';
import { Registry } from '../src/registry/index.ts';
import { resourcesFromText } from '../src/resources/index.ts';
import { createMemoryStore } from '../src/store/index.ts';
import type { Tree } from './generate-tree.ts';

export const NAMESPACE = 'default';

/** The declared view of a tree, parsed and schema-checked as the directory source does. */
export function treeInput(tree: Tree): DeclaredInput {
  const files = tree.files.map((f) => resourcesFromText(`/bench/${f.name}`, f.text, NAMESPACE));
  return { resources: files.flatMap((f) => f.resources), rejected: files.flatMap((f) => f.rejected) };
}

/** An Registry that has reconciled the whole tree once; throws if any object was rejected (a generator bug). */
export async function loadApp(tree: Tree): Promise<{ app: Registry; input: DeclaredInput }> {
  const input = treeInput(tree);
  const app = new Registry({ store: createMemoryStore() });
  await app.load();
  const changes = await app.applyDeclared(input);
  const invalid = changes.filter((c) => c.kind === 'invalid');
  if (input.rejected.length > 0 || invalid.length > 0) {
    throw new Error(`generated tree is invalid: ${JSON.stringify([...input.rejected, ...invalid][0])}`);
  }
  return { app, input };
}

export function namespaceIndex(app: Registry): PolicyIndex {
  const view = app.snapshot().namespaces.get(NAMESPACE);
  if (view === undefined) throw new Error(`namespace ${NAMESPACE} missing from the snapshot`);
  return view.index;
}
