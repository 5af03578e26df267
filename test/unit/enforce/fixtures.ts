import { CallVerdicts, createDecider, type Decision, GuardrailRunners } from '../../../src/enforce/index.ts';
import { type NamespaceView, Registry } from '../../../src/registry/index.ts';
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

/**
 * Policy `support` (attached to team `support`) over `catalog`, v1 in production adding the
 * `production` guardrails, then edited into a draft v2 adding `draft`, in shadow at `rate`; policy
 * `other` (team `other`) adds `words`.
 */
export async function appWithShadow(o: {
  catalog: string;
  production: string;
  draft: string;
  rate: number;
}): Promise<Registry> {
  const tree = (support: string) =>
    o.catalog +
    `apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: support}\nspec: ${support}\n---\n` +
    `apiVersion: railyard.dev/v1alpha1\nkind: PolicyAttachment\nmetadata: {name: support}\nspec: {policy: support, teams: [support]}\n---\n` +
    policy('other', '{guardrails: {add: [words]}}', 'teams: [other]');
  const app = await appFrom(tree(`{guardrails: {add: ${o.production}}}`));
  const file = resourcesFromText(
    'inline.yaml',
    tree(`{guardrails: {add: ${o.draft}}, versionStatus: draft, shadow: {sampleRate: ${o.rate}}}`),
    'default',
  );
  await app.applyDeclared({ resources: file.resources, rejected: file.rejected });
  return app;
}

/** The real runners, counting the guardrails they are asked to run. */
class CountingRunners extends GuardrailRunners {
  readonly asked: string[] = [];
  override of(view: NamespaceView) {
    const run = super.of(view);
    return ((name, ...rest) => {
      this.asked.push(name);
      return run(name, ...rest);
    }) as typeof run;
  }
}

/** `pii-mask` masks e-mail addresses; `words` blocks `falcon`. */
export const SHADOW_CATALOG =
  guardrail('pii-mask', '{type: pii, config: {entities: [EMAIL], action: mask}}') +
  guardrail('words', '{type: keywords, config: {words: [falcon]}}');

/** A pre-call of one user message from `team`. */
export const shadowCall = (team: string, content: string) => ({
  context: { teamAlias: team },
  phase: 'pre_call' as const,
  messages: [{ role: 'user', content }],
});

/** Production's decision of `call`, recording its verdicts, through runners that count what they ran. */
export async function decideRecording(app: Registry, call: ReturnType<typeof shadowCall>) {
  const runners = new CountingRunners();
  const decide = createDecider({
    snapshot: () => app.snapshot(),
    synced: () => true,
    defaultNamespace: 'default',
    runners,
  });
  const verdicts = new CallVerdicts();
  const decision: Decision = await decide(call, verdicts);
  return { decision, verdicts, runners };
}
