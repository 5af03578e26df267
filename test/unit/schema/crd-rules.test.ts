/**
 * Every CEL rule of every CRD, outside an API server: each is checked statically the way the API
 * server checks it when the CRD is created (a stand-in: declared typed fields only, bounded strings
 * and lists), then evaluated with a real CEL implementation on the cases of
 * test/fixtures/crd-rules.yaml, which also run through Railyard's own validator (the document check
 * and the semantic pass that the operator, the CLI and the HTTP API share) and through the CLI. So
 * `kubectl apply` on 1.25+, the operator, the CLI and the HTTP API refuse the same objects, except
 * where a case says that only Railyard refuses it.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dump, load } from 'js-yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { CEL_MESSAGES, resourceKey, validateResources } from '../../../src/engine/index.ts';
import type { GuardrailResource, Issue, Kind } from '../../../src/engine/types.ts';
import { compileGuardrail } from '../../../src/guardrails/index.ts';
import { crds, type SchemaNode, schemaValidator, validateDocument } from '../../../src/schema/index.ts';
import { runCli, writeTree } from '../../cli/run-cli.ts';
import {
  celRules,
  evaluate,
  type LocatedRule,
  RULE_KEYS_1_25,
  ruleProblems,
  toCel,
  valuesAt,
} from '../../support/crd-cel.ts';

type RuleName = keyof typeof CEL_MESSAGES;

type Case = {
  readonly case: string;
  readonly expect: 'accepted' | 'refused' | 'refused-by-schema' | 'refused-by-railyard';
  readonly rules?: readonly RuleName[];
  readonly path?: string;
  readonly message?: string;
  readonly object: { readonly kind: Kind; readonly spec: Record<string, unknown> };
};

const FIXTURES = new URL('../../fixtures/crd-rules.yaml', import.meta.url);
const cases = (load(readFileSync(FIXTURES, 'utf8')) as Case[]).map(checkedCase);

/** The case, or a throw when it does not say what it expects (a broken fixture fails the file). */
function checkedCase(c: Case): Case {
  const ok =
    (c.expect === 'accepted' && c.rules === undefined && c.message === undefined) ||
    (c.expect === 'refused' && (c.rules ?? []).length > 0 && c.rules?.every((r) => r in CEL_MESSAGES)) ||
    ((c.expect === 'refused-by-schema' || c.expect === 'refused-by-railyard') &&
      typeof c.path === 'string' &&
      typeof c.message === 'string');
  if (!ok)
    throw new Error(`${FIXTURES.pathname}: case ${JSON.stringify(c.case)} does not say what it expects`);
  return c;
}

/** The case as a whole document, alone in its own namespace (so that cases never see each other). */
function documentOf(c: Case, i: number): Record<string, unknown> {
  const cluster = c.object.kind === 'GuardrailFloor'; // cluster-scoped: no namespace
  return {
    apiVersion: 'railyard.dev/v1alpha1',
    kind: c.object.kind,
    metadata: cluster ? { name: `case-${i}` } : { name: `case-${i}`, namespace: `case-${i}` },
    spec: c.object.spec,
  };
}

type Rule = LocatedRule & { readonly kind: Kind; readonly name: RuleName };

/** Every rule of every CRD, named by the key of its twin's message in CEL_MESSAGES. */
const rules: Rule[] = [...crds().values()].flatMap((crd) =>
  celRules(crd.schema).map((located) => {
    const name = (Object.keys(CEL_MESSAGES) as RuleName[]).find(
      (k) => CEL_MESSAGES[k] === located.rule.message,
    );
    if (name === undefined) throw new Error(`${crd.kind} ${located.path}: a rule whose message has no twin`);
    return { ...located, kind: crd.kind, name };
  }),
);

/** The server's type-specific guardrail checks, as `App` passes them to every reconcile pass. */
function checkGuardrailConfig(g: GuardrailResource): Issue[] {
  const compiled = compileGuardrail(g.name, g.spec);
  return compiled.ok ? [] : compiled.issues;
}

/** Railyard's errors for one document: the document check, then the semantic pass on it alone. */
function railyardErrors(doc: Record<string, unknown>): Issue[] {
  const checked = validateDocument(doc, { kind: 'file', path: 'case.yaml', line: 1 }, 'default');
  const issues = checked.ok
    ? (validateResources([checked.value], { checkGuardrailConfig }).get(resourceKey(checked.value)) ?? [])
    : checked.issues;
  return issues.filter((i) => i.severity === 'error');
}

/** The verdict of every rule of the document's kind, each on every value it applies to. */
function celVerdicts(doc: Record<string, unknown>, kind: Kind): { rule: Rule; verdict: boolean | string }[] {
  return rules
    .filter((r) => r.kind === kind)
    .flatMap((rule) =>
      valuesAt(doc, rule.path).map((value) => ({
        rule,
        verdict: evaluate(rule.rule.rule, toCel(value, rule.node)),
      })),
    );
}

describe('the CRDs’ CEL rules', () => {
  test('every CEL_MESSAGES twin names exactly one rule', () => {
    expect(rules.map((r) => r.name).sort()).toEqual(Object.keys(CEL_MESSAGES).sort());
  });

  for (const rule of rules) {
    const title = `${rule.kind} ${rule.path} (${rule.name})`;
    test(`${title} uses only what Kubernetes 1.25 knows of a rule: ${RULE_KEYS_1_25.join(', ')}`, () => {
      // reason and fieldPath came in 1.28: with them, 1.25–1.27 refuse the CRD under strict field validation.
      expect(
        Object.keys(rule.rule).filter((k) => !(RULE_KEYS_1_25 as readonly string[]).includes(k)),
      ).toEqual([]);
    });
    test(`${title} reads only declared, typed, bounded fields`, () => {
      expect(ruleProblems(rule)).toEqual([]);
    });
  }
});

describe.each(cases.map((c, i) => [c.case, c, i] as const))('%s', (_, c, i) => {
  const doc = documentOf(c, i);
  const verdicts = celVerdicts(doc, c.object.kind);
  const errors = railyardErrors(doc);

  test(`the CRD's schema ${c.expect === 'refused-by-schema' ? 'refuses' : 'accepts'} it`, () => {
    expect(schemaValidator(c.object.kind)(doc)).toBe(c.expect !== 'refused-by-schema');
  });

  if (c.expect !== 'refused-by-schema') {
    test(`CEL: ${c.expect === 'refused' ? `only ${c.rules?.join(' and ')} fail` : 'every rule passes'}`, () => {
      for (const { rule, verdict } of verdicts)
        expect(typeof verdict, `${rule.name}: ${verdict}`).toBe('boolean');
      const failed = verdicts.filter((v) => v.verdict === false).map((v) => v.rule.name);
      expect([...new Set(failed)].sort()).toEqual([...(c.rules ?? [])].sort());
    });
  }

  const railyardSays = {
    accepted: 'accepts it',
    refused: "refuses it with each rule's own message",
    'refused-by-schema': "refuses it with the schema's message",
    'refused-by-railyard': 'refuses it (it checks more than the CRD)',
  } as const;
  test(`Railyard ${railyardSays[c.expect]}`, () => {
    switch (c.expect) {
      case 'accepted':
        expect(errors).toEqual([]);
        break;
      case 'refused':
        for (const name of c.rules ?? []) {
          const rule = rules.find((r) => r.name === name) as Rule;
          const twins = errors.filter((e) => e.message === rule.rule.message);
          expect(twins.length, `no error with the message of ${name}`).toBeGreaterThan(0);
          for (const e of twins)
            expect(e.path === rule.path || e.path.startsWith(`${rule.path}.`)).toBe(true);
        }
        break;
      default:
        expect(errors).toContainEqual(expect.objectContaining({ path: c.path, message: c.message }));
    }
  });
});

describe('the cases cover every rule', () => {
  const all = cases.flatMap((c, i) =>
    c.expect === 'refused-by-schema' ? [] : celVerdicts(documentOf(c, i), c.object.kind),
  );
  for (const rule of rules) {
    test(`${rule.kind} ${rule.path} (${rule.name}) both passes and fails on some case`, () => {
      const mine = all.filter((v) => v.rule === rule).map((v) => v.verdict);
      expect(mine).toContain(true);
      expect(mine).toContain(false);
    });
  }
});

describe('the CLI (the server’s own reconcile pass) refuses the same cases', () => {
  let dir: string | undefined;
  afterAll(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));

  test('railyard validate reports an error for exactly the refused cases, with the same messages', async () => {
    dir = await writeTree(
      Object.fromEntries(
        cases.map((c, i) => [`case-${String(i).padStart(2, '0')}.yaml`, dump(documentOf(c, i))]),
      ),
    );
    const run = await runCli(['validate', dir, '--format', 'json']);
    const report = JSON.parse(run.stdout) as {
      problems: { file: string; severity: string; message: string }[];
    };
    cases.forEach((c, i) => {
      const file = `case-${String(i).padStart(2, '0')}.yaml`;
      const messages = report.problems
        .filter((p) => p.severity === 'error' && p.file.endsWith(file))
        .map((p) => p.message);
      const want =
        c.expect === 'accepted'
          ? []
          : c.expect === 'refused'
            ? (c.rules ?? []).map((r) => CEL_MESSAGES[r])
            : [c.message as string];
      if (want.length === 0) expect(messages, c.case).toEqual([]);
      else for (const m of want) expect(messages, c.case).toContain(m);
    });
    expect(run.code).toBe(1);
  });
});

/**
 * The static check must refuse what the API server refuses. The first two are the rules a v1.32
 * API server rejected: `self.config.url` on a config that declared no url ("undefined field
 * 'url'"), and a rule on `condition.model`, which has no type ("unable to convert structural
 * schema to CEL declarations").
 */
describe('the static check refuses what the API server would', () => {
  const spec = (kind: Kind): SchemaNode => crds().get(kind)?.schema.properties?.spec as SchemaNode;
  const at = (node: SchemaNode, rule: string, path = 'spec'): LocatedRule => ({
    path,
    node,
    rule: { rule, message: 'm' },
  });
  const guardrailSpec = spec('Guardrail');
  const config = guardrailSpec.properties?.config as SchemaNode;
  const undeclaredUrl: SchemaNode = {
    ...guardrailSpec,
    properties: { ...guardrailSpec.properties, config: { ...config, properties: {} } },
  };
  const cases: { note: string; located: LocatedRule; want: string }[] = [
    {
      note: 'a field of a preserve-unknown-fields object that is not declared',
      located: at(undeclaredUrl, "self.type != 'webhook' || (has(self.config) && has(self.config.url))"),
      want: "spec.config: undefined field 'url' (only declared, typed fields exist for CEL)",
    },
    {
      note: 'a rule on a node without a type',
      located: at(
        spec('Policy').properties?.condition?.properties?.model as SchemaNode,
        'type(self) == string',
        'spec.condition.model',
      ),
      want: 'spec.condition.model: a rule on a node without a type (the API server cannot declare self)',
    },
    {
      note: 'a typeless field read from its parent',
      located: at(
        spec('Policy'),
        "!has(self.condition) || !has(self.condition.model) || self.condition.model != ''",
      ),
      want: 'spec.condition.model: has no type, so CEL cannot read it (unable to declare it)',
    },
    {
      note: 'a field that does not exist',
      located: at(spec('PolicyAttachment'), "self.team == 'a'"),
      want: "spec: undefined field 'team' (only declared, typed fields exist for CEL)",
    },
    {
      note: 'a string without maxLength',
      located: at({ type: 'object', properties: { s: { type: 'string' } } }, "self.s.startsWith('x')"),
      want: 'spec.s: a string a rule reads needs maxLength (or enum) for the cost estimate',
    },
    {
      note: 'a list without maxItems, in a comprehension',
      located: at(
        { type: 'object', properties: { l: { type: 'array', items: { type: 'integer' } } } },
        'self.l.all(x, x > 0)',
      ),
      want: 'spec.l: a list a rule reads needs maxItems for the cost estimate',
    },
    {
      note: 'the unbounded strings of a bounded list, through `in`',
      located: at(
        { type: 'object', properties: { l: { type: 'array', maxItems: 4, items: { type: 'string' } } } },
        "'a' in self.l",
      ),
      want: 'spec.l[]: a string a rule reads needs maxLength (or enum) for the cost estimate',
    },
    {
      note: 'an unbounded string reached through a comprehension variable',
      located: at(
        {
          type: 'object',
          properties: {
            l: {
              type: 'array',
              maxItems: 4,
              items: { type: 'object', properties: { n: { type: 'string' } } },
            },
          },
        },
        "self.l.exists(i, i.n == 'x')",
      ),
      want: 'spec.l[].n: a string a rule reads needs maxLength (or enum) for the cost estimate',
    },
    {
      note: 'a variable the API server does not declare',
      located: at(spec('Guardrail'), "object.spec.type == 'webhook'"),
      want: "undeclared reference to 'object'",
    },
    {
      note: 'a rule that does not parse',
      located: at(spec('Guardrail'), 'self.type ==='),
      want: 'spec: does not parse',
    },
  ];
  for (const c of cases) {
    test(c.note, () => {
      expect(ruleProblems(c.located).join('\n')).toContain(c.want);
    });
  }

  test('bounded, declared fields pass, enums count as bounded', () => {
    expect(ruleProblems(at(spec('Guardrail'), "self.type == 'webhook' || self.mode == 'pre_call'"))).toEqual(
      [],
    );
  });
});
