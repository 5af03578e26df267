import { Registry } from '../../../src/registry/index.ts';
import { resourcesFromText } from '../../../src/resources/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';

/** An Registry holding the resources of one YAML text (namespace `default`), synced, or a thrown setup bug. */
export async function appFrom(yaml: string): Promise<Registry> {
  const app = new Registry({ store: createMemoryStore() });
  await app.load();
  const file = resourcesFromText('inline.yaml', yaml, 'default');
  const changes = await app.applyDeclared({ resources: file.resources, rejected: file.rejected });
  const invalid = changes.filter((c) => c.kind === 'invalid');
  if (file.rejected.length > 0 || invalid.length > 0)
    throw new Error(`fixture rejected: ${JSON.stringify([file.rejected, invalid])}`);
  app.markSynced();
  return app;
}

export const guardrail = (name: string, spec: string): string =>
  `apiVersion: railyard.dev/v1alpha1\nkind: Guardrail\nmetadata: {name: ${name}}\nspec: ${spec}\n---\n`;

export const policy = (name: string, spec: string, attach: string): string =>
  `apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: ${name}}\nspec: ${spec}\n---\n` +
  `apiVersion: railyard.dev/v1alpha1\nkind: PolicyAttachment\nmetadata: {name: ${name}-at}\nspec: {policy: ${name}, ${attach}}\n---\n`;
