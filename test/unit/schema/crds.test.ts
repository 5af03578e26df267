import { describe, expect, test } from 'vitest';
import { KINDS } from '../../../src/engine/types.ts';
import { crds, type SchemaNode, schemaValidator } from '../../../src/schema/index.ts';

/** Every violation of the structural-schema rules the API server enforces, as `path: problem`. */
function structuralProblems(node: SchemaNode, path: string): string[] {
  const problems: string[] = [];
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node.type === undefined && !preserve && node['x-kubernetes-int-or-string'] !== true) {
    problems.push(`${path}: no type`);
  }
  if ('default' in node) problems.push(`${path}: has a default (shown as drift by Argo CD)`);
  if ('uniqueItems' in node) problems.push(`${path}: uniqueItems is forbidden in CRDs`);
  if ('additionalProperties' in node && node.properties !== undefined) {
    problems.push(`${path}: properties and additionalProperties together`);
  }
  for (const junctor of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if (junctor in node && JSON.stringify(node[junctor]).includes('"type"')) {
      problems.push(`${path}: type inside ${junctor}`);
    }
  }
  if (node.type === 'array' && node.items === undefined) problems.push(`${path}: array without items`);
  if (
    node.type === 'string' &&
    node.enum === undefined &&
    node.maxLength === undefined &&
    !path.endsWith('.kind') &&
    !path.endsWith('.apiVersion')
  ) {
    problems.push(`${path}: string without maxLength or enum (unbounded CEL cost)`);
  }
  if (node.type === 'array' && node.maxItems === undefined) problems.push(`${path}: array without maxItems`);
  for (const r of node.required ?? []) {
    if (node.properties?.[r] === undefined) problems.push(`${path}: required ${r} is not a property`);
  }
  for (const rule of node['x-kubernetes-validations'] ?? []) {
    if (rule.rule === '' || rule.message === '') problems.push(`${path}: CEL rule without rule or message`);
  }
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    problems.push(...structuralProblems(child, `${path}.${name}`));
  }
  if (node.items !== undefined) problems.push(...structuralProblems(node.items, `${path}[]`));
  return problems;
}

const expectedNames = {
  Policy: { plural: 'policies', shortNames: ['rypol'] },
  PolicyAttachment: { plural: 'policyattachments', shortNames: ['ryatt'] },
  Guardrail: { plural: 'guardrails', shortNames: ['rygr'] },
  GuardrailFloor: { plural: 'guardrailfloors', shortNames: ['floor'] },
} as const;

/** Cluster-scoped kinds: platform admins own them, namespace owners only read them. */
const expectedScope = {
  Policy: 'Namespaced',
  PolicyAttachment: 'Namespaced',
  Guardrail: 'Namespaced',
  GuardrailFloor: 'Cluster',
} as const;

const expectedColumns = {
  Policy: ['Stage', 'Latest', 'Production', 'Ready', 'Reason', 'Degraded', 'Shadow', 'Age'],
  PolicyAttachment: ['Policy', 'Priority', 'Ready', 'Age'],
  Guardrail: ['Type', 'Mode', 'Failure', 'Ready', 'Age'],
  GuardrailFloor: ['Guardrails', 'Namespaces', 'Ready', 'Age'],
} as const;

/** The extra columns of `kubectl get -o wide` (priority 1). */
const expectedWideColumns = {
  Policy: ['PolicyName', 'Inherit', 'Pipeline', 'Guardrails'],
  PolicyAttachment: ['Scope', 'Teams', 'Keys', 'Models', 'Tags', 'Reason'],
  Guardrail: ['GuardrailName', 'Reason', 'URL', 'Description'],
  GuardrailFloor: ['Selected', 'Reason', 'Description'],
} as const;

/**
 * The fields `kubectl explain` shows without a description, as paths: the root, apiVersion, kind,
 * spec, status and every property under spec and status, at any depth (list items included).
 */
function undescribed(node: SchemaNode, path: string, depth = 0): string[] {
  const missing = typeof node.description === 'string' && node.description !== '' ? [] : [path];
  const children = Object.entries(node.properties ?? {}).filter(([name]) => depth > 0 || name !== 'metadata');
  return [
    ...missing,
    ...children.flatMap(([name, child]) => undescribed(child, `${path}.${name}`, depth + 1)),
    ...Object.entries(node.items?.properties ?? {}).flatMap(([name, child]) =>
      undescribed(child, `${path}[].${name}`, depth + 1),
    ),
  ];
}

describe.each(KINDS)('CRD %s', (kind) => {
  const crd = crds().get(kind);
  if (crd === undefined) throw new Error(`missing CRD ${kind}`);
  type CrdSpec = {
    group: string;
    scope: string;
    names: { shortNames: string[] };
    versions: {
      additionalPrinterColumns: {
        name: string;
        jsonPath: string;
        type: string;
        priority?: number;
        description?: string;
      }[];
    }[];
  };
  const spec = crd.document.spec as CrdSpec;
  const version = spec.versions[0];

  test('is an apiextensions.k8s.io/v1 CRD of railyard.dev, of its scope, in category railyard', () => {
    expect(crd.document.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.document.kind).toBe('CustomResourceDefinition');
    expect((crd.document.metadata as { name: string }).name).toBe(
      `${expectedNames[kind].plural}.railyard.dev`,
    );
    expect(spec.group).toBe('railyard.dev');
    expect(spec.scope).toBe(expectedScope[kind]);
    expect(spec.names).toMatchObject({ kind, plural: expectedNames[kind].plural, categories: ['railyard'] });
    expect(spec.names.shortNames).toEqual(expectedNames[kind].shortNames);
  });

  test('has one served storage version v1alpha1 with the status subresource', () => {
    expect(spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  test('has the printer columns kubectl get shows, and more with -o wide', () => {
    const columns = version?.additionalPrinterColumns ?? [];
    expect(columns.filter((c) => (c.priority ?? 0) === 0).map((c) => c.name)).toEqual(expectedColumns[kind]);
    expect(columns.filter((c) => c.priority === 1).map((c) => c.name)).toEqual(expectedWideColumns[kind]);
    expect(columns.length).toBe(expectedColumns[kind].length + expectedWideColumns[kind].length);
    for (const c of columns.filter((c) => c.priority === 1)) expect(c.description, c.name).toBeTruthy();
    for (const c of columns) expect(c.jsonPath.startsWith('.')).toBe(true);
    expect(columns.find((c) => c.name === 'Age')).toMatchObject({
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
    });
  });

  test('describes every field kubectl explain shows', () => {
    expect(undescribed(crd.schema, kind)).toEqual([]);
  });

  test('is structural: a type on every node, no defaults, bounded strings and lists', () => {
    expect(structuralProblems(crd.schema, kind)).toEqual([]);
  });

  test('spells out its status (no preserve-unknown-fields there)', () => {
    const status = crd.schema.properties?.status;
    expect(status?.['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
    expect(Object.keys(status?.properties ?? {})).toEqual(
      expect.arrayContaining(['observedGeneration', 'conditions']),
    );
    expect(Object.keys(status?.properties?.conditions?.items?.properties ?? {}).sort()).toEqual([
      'lastTransitionTime',
      'message',
      'observedGeneration',
      'reason',
      'status',
      'type',
    ]);
  });

  test('compiles to a validator that rejects unknown fields at every level but preserve-unknown ones', () => {
    const validate = schemaValidator(kind);
    expect(validate({ spec: {}, extra: 1 })).toBe(false);
    expect(validate.errors?.some((e) => e.keyword === 'additionalProperties' && e.instancePath === '')).toBe(
      true,
    );
  });
});

const statusFields = [
  {
    note: 'Policy status has the version numbers, digests and resolved guardrails',
    kind: 'Policy' as const,
    fields: ['latestVersion', 'latestDigest', 'productionVersion', 'productionDigest', 'resolvedGuardrails'],
  },
  {
    note: 'PolicyAttachment status says whether its policy has a production version',
    kind: 'PolicyAttachment' as const,
    fields: ['policyHasProduction'],
  },
  {
    note: 'GuardrailFloor status says where it applies and what it lacks there',
    kind: 'GuardrailFloor' as const,
    fields: ['namespaceCount', 'namespaces', 'missingGuardrails'],
  },
];
for (const c of statusFields) {
  test(c.note, () => {
    const status = crds().get(c.kind)?.schema.properties?.status?.properties ?? {};
    expect(Object.keys(status)).toEqual(expect.arrayContaining(c.fields));
  });
}

test('Guardrail config keeps unknown fields (type-specific settings)', () => {
  const validate = schemaValidator('Guardrail');
  const doc = { spec: { type: 'regex', config: { patterns: ['x'], nested: { any: true } } } };
  expect(validate(doc)).toBe(true);
});
