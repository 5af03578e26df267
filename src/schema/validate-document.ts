/**
 * One declared document → one engine resource, or the issues that stop it. The same function
 * serves files, Kubernetes objects and the HTTP API, so they all reject the same documents with
 * the same messages.
 */
import type { ErrorObject } from 'ajv';
import {
  type Checked,
  type Issue,
  isClusterScoped,
  KINDS,
  type Kind,
  type Origin,
  PROXY_NAME_MESSAGE,
  PROXY_NAME_PATTERN,
  type Resource,
} from '../engine/index.ts';
import { API_VERSION, type SchemaValidDocument, toResource } from './convert.ts';
import { schemaValidator } from './crds.ts';

/** DNS-1123 subdomain: the rule for metadata.name of every kind (and for policy references). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_SUBDOMAIN_MESSAGE =
  "must be a lowercase DNS name: letters a-z, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters; to give a proxy another name, keep this one and set spec.policyName or spec.guardrailName";
/** DNS-1123 label: the rule for namespaces. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_MESSAGE =
  "must be a lowercase DNS label: letters a-z, digits and '-', starting and ending with a letter or digit, at most 63 characters";

/** Human explanations of the CRDs' `pattern`s, by pattern source. */
const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  [DNS_SUBDOMAIN.source]: DNS_SUBDOMAIN_MESSAGE,
  [PROXY_NAME_PATTERN]: PROXY_NAME_MESSAGE,
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
};

/**
 * Checks apiVersion, kind, metadata.name and the kind's CRD schema (strict: unknown fields are
 * errors), then converts to the engine type with every default applied. `status` is ignored, as
 * the API server ignores it outside the status subresource. Issues have code `invalid_schema`,
 * a field path such as `spec.pipeline.steps[0].onFail` and a message that says what to do.
 * Deterministic; never throws; the document is not modified.
 */
export function validateDocument(doc: unknown, origin: Origin, defaultNamespace: string): Checked<Resource> {
  if (!isObject(doc)) {
    return fail([issue('', 'a resource must be a mapping with apiVersion, kind, metadata and spec')]);
  }
  if (doc.apiVersion !== API_VERSION) {
    return fail([issue('apiVersion', `must be ${API_VERSION} (got ${show(doc.apiVersion)})`)]);
  }
  if (!(KINDS as readonly unknown[]).includes(doc.kind)) {
    return fail([issue('kind', `must be one of ${KINDS.join(', ')} (got ${show(doc.kind)})`)]);
  }
  const kind = doc.kind as Kind;
  const issues = [...metadataIssues(doc.metadata, kind)];
  const validate = schemaValidator(kind);
  const withoutStatus = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'status'));
  if (!validate(withoutStatus)) issues.push(...dedupe((validate.errors ?? []).map(toIssue)));
  if (issues.length > 0) return fail(issues);
  return toResource(withoutStatus as SchemaValidDocument, origin, defaultNamespace);
}

function metadataIssues(metadata: unknown, kind: Kind): Issue[] {
  if (!isObject(metadata)) return [issue('metadata.name', 'required field is missing; add a name')];
  const issues: Issue[] = [];
  const { name, namespace } = metadata;
  if (typeof name !== 'string' || name === '') {
    issues.push(issue('metadata.name', 'required field is missing; add a name'));
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    issues.push(issue('metadata.name', `${DNS_SUBDOMAIN_MESSAGE} (got ${show(name)})`));
  }
  if (namespace !== undefined && isClusterScoped(kind)) {
    issues.push(
      issue(
        'metadata.namespace',
        `a ${kind} is cluster-scoped: remove metadata.namespace (spec.namespaces and spec.namespaceSelector say where it applies)`,
      ),
    );
  } else if (
    namespace !== undefined &&
    (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace))
  ) {
    issues.push(issue('metadata.namespace', `${DNS_LABEL_MESSAGE} (got ${show(namespace)})`));
  }
  return issues;
}

function toIssue(e: ErrorObject): Issue {
  const at = fieldPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return issue(childPath(at, String(p.missingProperty)), 'required field is missing; add it');
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return issue(
        childPath(at, String(p.additionalProperty)),
        `unknown field; remove it (allowed here: ${allowed.join(', ')})`,
      );
    }
    case 'enum':
      return issue(at, `must be one of ${(p.allowedValues as unknown[]).join(', ')} (got ${show(e.data)})`);
    case 'type':
      return issue(at, `must be ${TYPE_NAMES[String(p.type)] ?? String(p.type)} (got ${show(e.data)})`);
    case 'pattern': {
      const explained = PATTERN_MESSAGES[String(p.pattern)] ?? `must match ${String(p.pattern)}`;
      return issue(at, `${explained} (got ${show(e.data)})`);
    }
    case 'maxLength':
      return issue(at, `must be at most ${p.limit} characters long (got ${(e.data as string).length})`);
    case 'minLength':
      return issue(at, p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long`);
    case 'maxItems':
      return issue(
        at,
        `must have at most ${p.limit} items (got ${(e.data as unknown[]).length}); split it up`,
      );
    case 'minItems':
      return issue(at, `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`);
    case 'minimum':
    case 'maximum':
      return issue(at, `must be ${e.keyword === 'minimum' ? '>=' : '<='} ${p.limit} (got ${show(e.data)})`);
    default:
      return issue(at, `${e.message ?? 'is invalid'} (got ${show(e.data)})`);
  }
}

/** `/spec/pipeline/steps/0/onFail` → `spec.pipeline.steps[0].onFail` (the path syntax `locate` reads). */
export function fieldPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    path = /^\d+$/.test(segment) ? `${path}[${segment}]` : childPath(path, segment);
  }
  return path;
}

/** The path of field `name` under `path`: `a.b`, or `a["x.y"]` when the name is not identifier-like. */
export function childPath(path: string, name: string): string {
  if (!/^[A-Za-z_$][\w$-]*$/.test(name)) return `${path}[${JSON.stringify(name)}]`;
  return path === '' ? name : `${path}.${name}`;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'a mapping';
  return JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function issue(path: string, message: string): Issue {
  return { code: 'invalid_schema', severity: 'error', path, message };
}

function fail(issues: Issue[]): Checked<Resource> {
  return { ok: false, issues };
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(`${i.path}\n${i.message}`) && seen.add(`${i.path}\n${i.message}`));
}
