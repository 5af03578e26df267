/**
 * The CRDs in `crds/` are the one schema source. This module reads them once and compiles
 * one ajv validator per kind from `spec.versions[0].schema.openAPIV3Schema`, in the Kubernetes
 * dialect: `x-kubernetes-*` keywords are annotations, and unknown fields are rejected the way
 * kubectl's strict field validation does. CEL rules (`x-kubernetes-validations`) cannot run here;
 * `src/engine/validate-rules.ts` enforces the same rules with the same messages.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import { KINDS, type Kind } from '../engine/index.ts';

const CRD_DIR = new URL('../../crds/', import.meta.url);
const CRD_FILES: Readonly<Record<Kind, string>> = {
  Policy: 'policy.yaml',
  PolicyAttachment: 'policyattachment.yaml',
  Guardrail: 'guardrail.yaml',
  GuardrailFloor: 'guardrailfloor.yaml',
};

/** Vendor keywords of the apiextensions dialect: annotations for ajv, meaningful to the API server. */
const KUBERNETES_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
] as const;

export type SchemaNode = {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly required?: readonly string[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
  readonly [keyword: string]: unknown;
};

export type CelRule = {
  readonly rule: string;
  readonly message: string;
  readonly fieldPath?: string;
  readonly reason?: string;
};

/** One CRD as read from `crds/`: the whole document and the schema of its (only) version. */
export type Crd = {
  readonly kind: Kind;
  readonly file: URL;
  readonly document: Readonly<Record<string, unknown>>;
  readonly schema: SchemaNode;
};

let cache: { crds: ReadonlyMap<Kind, Crd>; validators: ReadonlyMap<Kind, ValidateFunction> } | undefined;

/**
 * The CRDs by kind, read on first use and cached for the life of the process. Throws when a CRD
 * file is missing or malformed: that is a packaging bug, not a user error.
 */
export function crds(): ReadonlyMap<Kind, Crd> {
  return compiled().crds;
}

/** The ajv validator of one kind's `openAPIV3Schema` (strict fields; CEL rules not included). */
export function schemaValidator(kind: Kind): ValidateFunction {
  const v = compiled().validators.get(kind);
  if (v === undefined) throw new Error(`no validator for kind ${kind}`);
  return v;
}

function compiled(): NonNullable<typeof cache> {
  if (cache !== undefined) return cache;
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword({ keyword });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const byKind = new Map<Kind, Crd>();
  const validators = new Map<Kind, ValidateFunction>();
  for (const kind of KINDS) {
    const crd = readCrd(kind);
    byKind.set(kind, crd);
    validators.set(kind, ajv.compile(strictFields(crd.schema) as AnySchemaObject));
  }
  cache = { crds: byKind, validators };
  return cache;
}

function readCrd(kind: Kind): Crd {
  const file = new URL(CRD_FILES[kind], CRD_DIR);
  const document = load(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const spec = document.spec as {
    names?: { kind?: string };
    versions?: { schema?: { openAPIV3Schema?: SchemaNode } }[];
  };
  const schema = spec?.versions?.[0]?.schema?.openAPIV3Schema;
  if (spec?.names?.kind !== kind || schema === undefined) {
    throw new Error(`${file.pathname}: not a CRD of kind ${kind} with an openAPIV3Schema`);
  }
  return { kind, file, document, schema };
}

/**
 * A copy of the schema where every object node with `properties` (and without
 * `x-kubernetes-preserve-unknown-fields`) rejects other fields, as strict field validation does.
 */
function strictFields(node: SchemaNode): SchemaNode {
  const copy: Record<string, unknown> = { ...node };
  if (node.properties !== undefined) {
    copy.properties = Object.fromEntries(
      Object.entries(node.properties).map(([name, child]) => [name, strictFields(child)]),
    );
    if (node['x-kubernetes-preserve-unknown-fields'] !== true) copy.additionalProperties = false;
  }
  if (node.items !== undefined) copy.items = strictFields(node.items);
  return copy as SchemaNode;
}
