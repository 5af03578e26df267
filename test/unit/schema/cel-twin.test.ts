import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { resourceKey, validateResources } from '../../../src/engine/index.ts';
import type { Issue, Kind, Resource } from '../../../src/engine/types.ts';
import { readDocuments } from '../../../src/resources/index.ts';
import { type CelRule, crds, type SchemaNode, validateDocument } from '../../../src/schema/index.ts';

/** Every CEL rule of a schema with the field path of the node that carries it. */
function celRules(node: SchemaNode, path: string): { path: string; rule: CelRule }[] {
  return [
    ...(node['x-kubernetes-validations'] ?? []).map((rule) => ({ path, rule })),
    ...Object.entries(node.properties ?? {}).flatMap(([name, child]) =>
      celRules(child, path === '' ? name : `${path}.${name}`),
    ),
    ...(node.items === undefined ? [] : celRules(node.items, `${path}[]`)),
  ];
}

const FIXTURE = new URL('../../fixtures/validate-cel-violations.yaml', import.meta.url);

/** Issues of every fixture document, from the document check and then the set-wide checks. */
function fixtureIssues(): { kind: Kind; issue: Issue }[] {
  const { documents, issues } = readDocuments(FIXTURE.pathname, readFileSync(FIXTURE, 'utf8'));
  expect(issues).toEqual([]);
  const found: { kind: Kind; issue: Issue }[] = [];
  const resources: Resource[] = [];
  for (const doc of documents) {
    const checked = validateDocument(doc.value, { kind: 'file', path: 'f.yaml', line: doc.line }, 'default');
    const kind = (doc.value as { kind: Kind }).kind;
    if (checked.ok) resources.push(checked.value);
    else found.push(...checked.issues.map((issue) => ({ kind, issue })));
  }
  const semantic = validateResources(resources);
  for (const r of resources)
    found.push(...(semantic.get(resourceKey(r)) ?? []).map((issue) => ({ kind: r.kind, issue })));
  return found;
}

describe('every CEL rule of the CRDs is enforced in TypeScript with the same message', () => {
  const found = fixtureIssues();
  const rules = [...crds().values()].flatMap((crd) =>
    celRules(crd.schema, '').map((r) => ({ kind: crd.kind, ...r })),
  );

  test('the CRDs have CEL rules to mirror', () =>
    expect(rules.map((r) => `${r.kind} ${r.path}`).sort()).toEqual([
      'Guardrail spec',
      'GuardrailFloor spec',
      'GuardrailFloor spec.namespaceSelector',
      'Policy spec',
      'PolicyAttachment spec',
      'PolicyAttachment spec',
    ]));

  for (const { kind, path, rule } of rules) {
    test(`${kind} ${path}: ${rule.message}`, () => {
      const twins = found.filter((f) => f.kind === kind && f.issue.message === rule.message);
      expect(twins.length, `no ${kind} issue with this message`).toBeGreaterThan(0);
      for (const { issue } of twins) {
        expect(issue.severity).toBe('error');
        const where = path + (rule.fieldPath ?? '');
        expect(
          issue.path === where || issue.path.startsWith(`${where}.`) || issue.path.startsWith(`${where}[`),
        ).toBe(true);
      }
    });
  }
});
