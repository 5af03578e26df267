import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { resolve } from '../../../src/engine/index.ts';
import { importLitellmConfig } from '../../../src/litellm/index.ts';
import { Registry } from '../../../src/registry/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import { REPO } from '../../support/railyard-process.ts';

// ─────────── an independent model of LiteLLM's rules, over the raw config ───────────

type Ctx = { team_alias?: string; key_alias?: string; model?: string; tags?: string[] };
type LPolicy = {
  inherit?: string;
  guardrails?: string[] | { add?: string[]; remove?: string[] };
  condition?: { model?: string | string[] };
};
type LAttachment = {
  policy: string;
  scope?: string;
  teams?: string[];
  keys?: string[];
  models?: string[];
  tags?: string[];
};
type LConfig = { policies?: Record<string, LPolicy>; policy_attachments?: LAttachment[] };

/** 2.1: None matches only "*"; a trailing * is a prefix; anything else is equality. */
const matches = (value: string | undefined, patterns: string[]): boolean =>
  value === undefined
    ? patterns.includes('*')
    : patterns.some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : value === p));

/** 2.2, with 1.3's to_policy_scope. */
function scopeMatches(a: LAttachment, ctx: Ctx): boolean {
  const global = a.scope === '*';
  const dim = (v: string[] | undefined) => (global || !v || v.length === 0 ? ['*'] : v);
  if (!matches(ctx.team_alias, dim(a.teams)) || !matches(ctx.key_alias, dim(a.keys))) return false;
  if (!matches(ctx.model, dim(a.models))) return false;
  const tags = global ? [] : (a.tags ?? []);
  if (tags.length === 0) return true;
  return (ctx.tags ?? []).some((t) => matches(t, tags));
}

/** 2.4 */
function conditionPasses(c: LPolicy['condition'], model: string | undefined): boolean {
  if (!c || c.model === undefined || c.model === null) return true;
  if (model === undefined) return false;
  const list = typeof c.model === 'string' ? [c.model] : c.model;
  return list.some((p) => p === model || new RegExp(`^(?:${p})$`).test(model));
}

/** 2.5: root first, a cycle truncates. */
function chain(name: string, policies: Record<string, LPolicy>, visited = new Set<string>()): string[] {
  const p = policies[name];
  if (!p || visited.has(name)) return [];
  visited.add(name);
  return [...(p.inherit ? chain(p.inherit, policies, visited) : []), name];
}

/** 2.6 */
function policyGuardrails(name: string, policies: Record<string, LPolicy>, ctx: Ctx): Set<string> {
  const out = new Set<string>();
  for (const level of chain(name, policies)) {
    const p = policies[level] as LPolicy;
    if (!conditionPasses(p.condition, ctx.model)) continue;
    const g = p.guardrails;
    const add = Array.isArray(g) ? g : (g?.add ?? []);
    const remove = Array.isArray(g) ? [] : (g?.remove ?? []);
    for (const x of add) out.add(x);
    for (const x of remove) out.delete(x);
  }
  return out;
}

function referenceResolve(config: LConfig, ctx: Ctx): string[] {
  const policies = config.policies ?? {};
  const seen: string[] = [];
  for (const a of config.policy_attachments ?? [])
    if (scopeMatches(a, ctx) && !seen.includes(a.policy)) seen.push(a.policy);
  const applied = seen.filter((n) => policies[n] && conditionPasses(policies[n].condition, ctx.model));
  const all = new Set<string>();
  for (const n of applied) for (const g of policyGuardrails(n, policies, ctx)) all.add(g);
  return [...all].sort();
}

// ─────────── the import under test, through the server's reconcile ───────────

async function importAndServe(config: unknown) {
  const result = importLitellmConfig(config, { namespace: 'lm', originOf: () => ({ kind: 'api' }) });
  const app = new Registry({ store: createMemoryStore() });
  await app.load();
  await app.applyDeclared({ resources: result.resources, rejected: [] });
  const view = app.snapshot().namespaces.get('lm');
  return { result, app, view };
}

const EDGE_CONFIG = `
guardrails:
  - {guardrail_name: pii, litellm_params: {guardrail: presidio, mode: pre_call}}
  - {guardrail_name: tox, litellm_params: {guardrail: openai_moderation, mode: post_call, default_on: true}}
policies:
  base: {guardrails: [pii, tox]}
  strict: {inherit: base, guardrails: {add: [inj]}}
  relaxed: {inherit: base, guardrails: {remove: [tox]}}
  readd: {inherit: relaxed, guardrails: {add: [tox]}}
  gpt: {inherit: base, condition: {model: ["gpt-4.*", "o1"]}, guardrails: {add: [len]}}
  lower-level-condition: {inherit: gpt, guardrails: {add: [extra]}}
  unattached: {guardrails: {add: [never]}}
policy_attachments:
  - {policy: strict, teams: ["eng-*"], tags: ["prod"]}
  - {policy: relaxed, keys: [sandbox]}
  - {policy: readd, teams: [eng-core]}
  - {policy: gpt, models: ["gpt-*", "o1"]}
  - {policy: lower-level-condition, tags: ["exp-*"]}
  - {policy: base, scope: "*", tags: [ignored]}
  - {policy: relaxed}
`;

/** Configs written after LiteLLM's documented examples, and one with every kind of name. */
const FIXTURES = ['docs-quick-start.yaml', 'docs-teams.yaml', 'docs-inheritance.yaml', 'names.yaml'];

const contexts: { note: string; ctx: Ctx }[] = [
  { note: 'empty context', ctx: {} },
  { note: 'eng team without the prod tag', ctx: { team_alias: 'eng-web' } },
  { note: 'eng team with the prod tag', ctx: { team_alias: 'eng-web', tags: ['prod'] } },
  { note: 'a child re-adds what its parent removed', ctx: { team_alias: 'eng-core' } },
  { note: 'sandbox key: remove only in its own chain', ctx: { key_alias: 'sandbox' } },
  { note: 'gpt-4o passes the list condition', ctx: { model: 'gpt-4o' } },
  { note: 'gpt-3.5 matches the attachment but not the condition', ctx: { model: 'gpt-3.5' } },
  { note: 'o1 exact', ctx: { model: 'o1' } },
  { note: 'inherited condition fails for a child with none', ctx: { tags: ['exp-1'], model: 'claude' } },
  { note: 'inherited condition passes', ctx: { tags: ['exp-1'], model: 'gpt-4' } },
  { note: 'case-sensitive team', ctx: { team_alias: 'ENG-web', tags: ['prod'] } },
  { note: 'finance team', ctx: { team_alias: 'finance', model: 'gpt-4o' } },
  { note: 'internal testing team', ctx: { team_alias: 'internal-testing' } },
  { note: 'a medical team by prefix', ctx: { team_alias: 'medical-research', model: 'gpt-4' } },
  { note: 'a dev key on bedrock', ctx: { key_alias: 'dev-1', model: 'bedrock/claude-3' } },
  {
    note: 'everything at once',
    ctx: { team_alias: 'eng-core', key_alias: 'sandbox', model: 'gpt-4', tags: ['prod', 'exp-2'] },
  },
];

describe('importLitellmConfig resolves like LiteLLM', () => {
  for (const [label, load_] of [
    ['edge-case config', async () => EDGE_CONFIG],
    ['examples/litellm/config.yaml', () => readFile(join(REPO, 'examples/litellm/config.yaml'), 'utf8')],
    ...FIXTURES.map(
      (f) => [`LiteLLM's ${f}`, () => readFile(join(REPO, 'test/fixtures/litellm', f), 'utf8')] as const,
    ),
  ] as const) {
    test(`${label}: every context gets the reference's guardrails`, async () => {
      const config = load(await load_()) as LConfig;
      const { view, app } = await importAndServe(config);
      expect(app.snapshot().statuses.filter((s) => s.issues.some((i) => i.severity === 'error'))).toEqual([]);
      for (const c of contexts) {
        const got = view
          ? resolve(view.index, {
              teamAlias: c.ctx.team_alias,
              keyAlias: c.ctx.key_alias,
              model: c.ctx.model,
              tags: c.ctx.tags,
            })
          : undefined;
        expect([c.note, got?.effectiveGuardrails ?? []]).toEqual([c.note, referenceResolve(config, c.ctx)]);
      }
    });
  }

  test('matched policies keep the config order (priority by position)', async () => {
    const { view } = await importAndServe(load(EDGE_CONFIG));
    const got =
      view &&
      resolve(view.index, { teamAlias: 'eng-core', keyAlias: 'sandbox', model: 'gpt-4', tags: ['prod'] });
    expect(got?.matchedPolicies.map((m) => m.policyName)).toEqual([
      'strict',
      'relaxed',
      'readd',
      'gpt',
      'base',
    ]);
  });
});

describe('importLitellmConfig keeps LiteLLM names', () => {
  test('snake_case, dotted, upper-case and spaced names: object names derived and unique, answers in the original names', async () => {
    const { result, view, app } = await importAndServe(
      load(await readFile(join(REPO, 'test/fixtures/litellm/names.yaml'), 'utf8')),
    );
    expect(result.errors).toEqual([]);
    const names = result.resources.map((r) => `${r.kind}/${r.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('Guardrail/pii-masking');
    expect(names).toContain('Guardrail/pii-masking-2');
    expect(app.snapshot().statuses.filter((s) => s.issues.length > 0)).toEqual([]);
    const got = view && resolve(view.index, { teamAlias: 'medical-x', model: 'gpt-4' });
    expect(got?.effectiveGuardrails).toEqual([
      'PII_Masking',
      'Prompt Injection v2',
      'pii-masking',
      'secrets.detector',
    ]);
    expect(got?.matchedPolicies.map((m) => m.policyName)).toEqual(['Global_Baseline', 'HIPAA Strict']);
    expect([...(view?.guardrails.keys() ?? [])].sort()).toEqual([
      'PII_Masking',
      'Prompt Injection v2',
      'pii-masking',
      'secrets.detector',
    ]);
  });

  test('a name with a control character is refused with the rule', () => {
    const r = importLitellmConfig(load('policies:\n  "a\\tb": {guardrails: [x]}\n'), {
      namespace: 'ns',
      originOf: () => ({ kind: 'api' }),
    });
    expect(r.errors.map((e) => e.message)).toEqual([
      'policy "a\tb" not imported: its name must be a name proxies know: 1 to 253 characters, no control characters, no leading or trailing space',
    ]);
  });
});

describe('importLitellmConfig warnings and mapping', () => {
  const result = importLitellmConfig(
    load(`
guardrails:
  - {guardrail_name: p, litellm_params: {guardrail: presidio, pii_entities_config: {EMAIL_ADDRESS: BLOCK, PERSON: MASK}}}
  - {guardrail_name: s, litellm_params: {guardrail: hide-secrets, default_on: true}}
policies:
  Legacy_Policy: {statements: [{sid: x}], guardrails: [p], condition: {model: a, team: b}}
policy_attachments:
  - {policy: Legacy_Policy, scope: team}
`),
    { namespace: 'ns', originOf: () => ({ kind: 'api' }) },
  );
  const messages = result.warnings.map((w) => `${w.path}: ${w.message}`);

  const cases = [
    { note: 'unknown policy keys are named', want: /^policies\.Legacy_Policy\.statements: not carried over/ },
    {
      note: 'condition keys other than model',
      want: /^policies\.Legacy_Policy\.condition\.team: not carried over/,
    },
    { note: 'a scope other than "*"', want: /^policy_attachments\[0\]\.scope: dropped/ },
    { note: 'an attachment with no selector', want: /^policy_attachments\[0\]: no selector/ },
    { note: 'default_on', want: /^guardrails\[1\]\.litellm_params\.default_on: not carried over/ },
    {
      note: 'an unknown presidio entity',
      want: /^guardrails\[0\]\.litellm_params\.pii_entities_config\.PERSON: not carried over/,
    },
  ];
  for (const c of cases)
    test(c.note, () =>
      expect(
        messages.some((m) => c.want.test(m)),
        messages.join('\n'),
      ).toBe(true),
    );

  test('no name is renamed: a LiteLLM name that is no object name becomes spec.policyName', () => {
    expect(messages.some((m) => m.includes('renamed'))).toBe(false);
    const policy = result.resources.find((r) => r.kind === 'Policy');
    expect(policy).toMatchObject({ name: 'legacy-policy', spec: { policyName: 'Legacy_Policy' } });
  });

  test('built-in types are mapped, references keep the names LiteLLM knows', () => {
    const byName = new Map(result.resources.map((r) => [`${r.kind}/${r.name}`, r]));
    expect(byName.get('Guardrail/p')?.spec).toMatchObject({
      type: 'pii',
      config: { entities: ['EMAIL'], action: 'block' },
    });
    expect(byName.get('Guardrail/s')?.spec).toMatchObject({ type: 'secrets' });
    expect(byName.get('PolicyAttachment/legacy-policy-0')?.spec).toMatchObject({
      policy: 'Legacy_Policy',
      scope: '*',
      priority: 1,
    });
  });
});
