/**
 * The OpenAPI 3.1 description of every route, fast path and management API alike, served at
 * `GET /openapi.json`. Operations are one table; the document is built from it once.
 * test/integration/http-openapi.test.ts checks it against the OpenAPI schema and against the
 * routes actually registered, so a new route without an entry here fails the build.
 */
import type { Express } from 'express';
import type { Access } from './server.ts';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const nullable = (type: string): Schema => ({ type: [type, 'null'] });
const strings: Schema = { type: 'array', items: str };
const nullableStrings: Schema = { type: ['array', 'null'], items: str };
const obj = (properties: Record<string, Schema>, required: string[] = [], extra = false): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
  ...(extra ? {} : { additionalProperties: false }),
});
const STATUSES = ['draft', 'published', 'production'];
const ACTIONS = ['allow', 'block', 'next', 'modify_response'];

const policyFields: Record<string, Schema> = {
  inherit: nullable('string'),
  description: nullable('string'),
  guardrails_add: nullableStrings,
  guardrails_remove: nullableStrings,
  condition: {
    type: ['object', 'null'],
    properties: { model: { oneOf: [str, strings, { type: 'null' }] } },
    additionalProperties: false,
  },
  pipeline: { oneOf: [ref('GuardrailPipeline'), { type: 'null' }] },
};

const context: Record<string, Schema> = {
  team_alias: nullable('string'),
  key_alias: nullable('string'),
  model: nullable('string'),
  tags: nullableStrings,
  namespace: nullable('string'),
};

const SCHEMAS: Record<string, Schema> = {
  Error: obj({ detail: str, issues: { type: 'array', items: ref('Issue') } }, ['detail']),
  Issue: obj({ code: str, severity: { enum: ['error', 'warning'] }, path: str, message: str }, [
    'code',
    'severity',
    'path',
    'message',
  ]),
  Message: obj({ message: str, warning: str }, ['message']),
  PipelineStep: obj(
    {
      guardrail: str,
      on_pass: { enum: [...ACTIONS, null] },
      on_fail: { enum: [...ACTIONS, null] },
      on_error: { enum: [...ACTIONS, null] },
      pass_data: nullable('boolean'),
      modify_response_message: nullable('string'),
    },
    ['guardrail'],
  ),
  GuardrailPipeline: obj(
    {
      mode: { enum: ['pre_call', 'post_call'] },
      steps: { type: 'array', minItems: 1, items: ref('PipelineStep') },
    },
    ['mode', 'steps'],
  ),
  PolicyCreateRequest: obj({ policy_name: str, ...policyFields }, ['policy_name']),
  PolicyUpdateRequest: obj({ policy_name: str, ...policyFields }),
  PolicyDBResponse: obj(
    {
      policy_id: str,
      policy_name: str,
      version_number: { type: 'integer' },
      version_status: { enum: STATUSES },
      parent_version_id: nullable('string'),
      is_latest: { type: 'boolean' },
      published_at: nullable('string'),
      production_at: nullable('string'),
      inherit: nullable('string'),
      description: nullable('string'),
      guardrails_add: strings,
      guardrails_remove: strings,
      condition: { type: ['object', 'null'] },
      pipeline: { oneOf: [ref('GuardrailPipeline'), { type: 'null' }] },
      created_at: str,
      created_by: nullable('string'),
      updated_at: str,
      updated_by: nullable('string'),
      policy_definition_location: { enum: ['db', 'config'] },
      definition_source: str,
      digest: str,
      namespace: str,
      warning: str,
    },
    ['policy_id', 'policy_name', 'version_number', 'version_status', 'policy_definition_location'],
  ),
  PolicyListDBResponse: obj({
    policies: { type: 'array', items: ref('PolicyDBResponse') },
    total_count: { type: 'integer' },
  }),
  PolicyVersionListResponse: obj({
    policy_name: str,
    versions: { type: 'array', items: ref('PolicyDBResponse') },
    total_count: { type: 'integer' },
  }),
  PolicyVersionCreateRequest: obj({ source_policy_id: nullable('string') }),
  PolicyVersionStatusUpdateRequest: obj({ version_status: { enum: ['published', 'production'] } }, [
    'version_status',
  ]),
  PolicyVersionCompareResponse: obj({
    version_a: ref('PolicyDBResponse'),
    version_b: ref('PolicyDBResponse'),
    field_diffs: { type: 'object', additionalProperties: obj({ version_a: {}, version_b: {} }) },
  }),
  ResolvedGuardrailsResponse: obj({ policy_id: str, policy_name: str, resolved_guardrails: strings }),
  PipelineTestRequest: obj(
    {
      pipeline: ref('GuardrailPipeline'),
      test_messages: { type: 'array', items: obj({ role: str, content: str }, ['role', 'content']) },
    },
    ['pipeline', 'test_messages'],
  ),
  PipelineExecutionResult: obj({
    terminal_action: { enum: ['allow', 'block', 'modify_response'] },
    step_results: {
      type: 'array',
      items: obj(
        {
          guardrail_name: str,
          outcome: { enum: ['pass', 'fail', 'error'] },
          action_taken: { enum: ACTIONS },
          modified_data: { type: ['object', 'null'] },
          error_detail: nullable('string'),
          duration_seconds: { type: 'number' },
          findings: { type: 'array', items: obj({ type: str, redacted: str }) },
        },
        ['guardrail_name', 'outcome', 'action_taken', 'duration_seconds'],
      ),
    },
    modified_data: { type: ['object', 'null'] },
    error_message: nullable('string'),
    modify_response_message: nullable('string'),
  }),
  PolicyAttachmentCreateRequest: obj(
    {
      policy_name: str,
      scope: nullable('string'),
      teams: nullableStrings,
      keys: nullableStrings,
      models: nullableStrings,
      tags: nullableStrings,
      priority: nullable('integer'),
    },
    ['policy_name'],
  ),
  PolicyAttachmentDBResponse: obj(
    {
      attachment_id: str,
      policy_name: str,
      scope: nullable('string'),
      teams: strings,
      keys: strings,
      models: strings,
      tags: strings,
      priority: { type: 'integer' },
      created_at: str,
      created_by: nullable('string'),
      updated_at: str,
      updated_by: nullable('string'),
      policy_definition_location: { enum: ['db', 'config'] },
      definition_source: str,
      namespace: str,
    },
    ['attachment_id', 'policy_name'],
  ),
  PolicyAttachmentListResponse: obj({
    attachments: { type: 'array', items: ref('PolicyAttachmentDBResponse') },
    total_count: { type: 'integer' },
  }),
  PolicyResolveRequest: obj(context),
  PolicyResolveResponse: obj(
    {
      effective_guardrails: strings,
      matched_policies: {
        type: 'array',
        items: obj({ policy_name: str, matched_via: str, guardrails_added: strings }),
      },
      policy_versions: { type: 'array', items: { type: 'object' } },
      revision: { type: 'integer' },
    },
    [],
    true,
  ),
  ExplainResponse: {
    description:
      'The resolution, then every candidate attachment with its verdict (matched, scope_mismatch, duplicate, condition_failed, policy_missing) and reason, and each matched policy with its inheritance chain: per level the version, add/remove, condition and whether it passed.',
    type: 'object',
    properties: {
      context: { type: 'object' },
      effective_guardrails: strings,
      matched_policies: { type: 'array', items: { type: 'object' } },
      attachments: { type: 'array', items: { type: 'object' } },
      not_candidates: { type: 'integer' },
      policies: { type: 'array', items: { type: 'object' } },
      revision: { type: 'integer' },
    },
  },
  Snapshot: {
    description: 'The whole production index of one namespace, for proxies that evaluate locally.',
    type: 'object',
    properties: {
      revision: { type: 'integer' },
      namespace: nullable('string'),
      policies: { type: 'array', items: ref('PolicyDBResponse') },
      resolved: { type: 'object' },
      attachments: { type: 'array', items: ref('PolicyAttachmentDBResponse') },
      guardrails: { type: 'object' },
    },
  },
  Status: obj(
    { revision: { type: 'integer' }, synced: { type: 'boolean' }, objects: { type: 'array' } },
    [],
    true,
  ),
};

type Param = { readonly name: string; readonly description: string; readonly required?: boolean };

/** One operation: the route as Express or the fast path registers it, in OpenAPI path syntax. */
type Operation = {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  readonly path: string;
  readonly summary: string;
  readonly access: Access;
  readonly query?: readonly Param[];
  readonly body?: string;
  /** A schema name, or `text` for Prometheus text. */
  readonly response: string;
  /** Error statuses beyond the authentication ones. */
  readonly errors?: readonly number[];
  readonly notModified?: boolean;
};

const NS: Param = {
  name: 'namespace',
  description: 'Namespace (default: the only one served, else --namespace)',
};
const CTX: Param[] = ['team_alias', 'key_alias', 'model'].map((name) => ({
  name,
  description: `Request ${name}`,
}));

export const OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', access: 'open', response: 'Status' },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: initial sync done',
    access: 'open',
    response: 'Status',
    errors: [503],
  },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', access: 'open', response: 'text' },
  {
    method: 'get',
    path: '/v1/resolve',
    summary: 'Guardrails for a request context (ETag / If-None-Match → 304)',
    access: 'reader',
    query: [...CTX, { name: 'tags', description: 'Comma-separated or repeated' }, NS],
    response: 'PolicyResolveResponse',
    notModified: true,
    errors: [404],
  },
  {
    method: 'get',
    path: '/v1/snapshot',
    summary: 'The production index; with revision and wait, long-polls for a change',
    access: 'reader',
    query: [
      NS,
      { name: 'revision', description: 'The revision the caller has' },
      { name: 'wait', description: 'How long to wait for a newer revision: 30s, 500ms, 1m (max 60s)' },
    ],
    response: 'Snapshot',
    notModified: true,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/v1/status',
    summary: 'Every declared object with its conditions',
    access: 'reader',
    response: 'Status',
  },
  {
    method: 'post',
    path: '/v1/explain',
    summary: 'Why a request context gets its guardrails',
    access: 'reader',
    body: 'PolicyResolveRequest',
    response: 'ExplainResponse',
    errors: [404, 422],
  },
  { method: 'get', path: '/openapi.json', summary: 'This document', access: 'reader', response: 'object' },
  {
    method: 'get',
    path: '/policies/list',
    summary: 'List policy versions (API-created newest first, then declared)',
    access: 'reader',
    query: [{ name: 'version_status', description: 'draft | published | production' }, NS],
    response: 'PolicyListDBResponse',
    errors: [422],
  },
  {
    method: 'post',
    path: '/policies',
    summary: 'Create a policy (version 1, production)',
    access: 'admin',
    query: [NS],
    body: 'PolicyCreateRequest',
    response: 'PolicyDBResponse',
    errors: [400, 422],
  },
  {
    method: 'get',
    path: '/policies/compare',
    summary: 'Compare two versions',
    access: 'reader',
    query: [
      { name: 'version_a', description: 'policy_id', required: true },
      { name: 'version_b', description: 'policy_id', required: true },
      NS,
    ],
    response: 'PolicyVersionCompareResponse',
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/policies/name/{policy_name}/versions',
    summary: 'List the versions of a policy, newest first',
    access: 'reader',
    query: [NS],
    response: 'PolicyVersionListResponse',
  },
  {
    method: 'post',
    path: '/policies/name/{policy_name}/versions',
    summary: 'Create a draft copy of a version (default: production)',
    access: 'admin',
    query: [NS],
    body: 'PolicyVersionCreateRequest',
    response: 'PolicyDBResponse',
    errors: [400, 404, 422],
  },
  {
    method: 'delete',
    path: '/policies/name/{policy_name}/all-versions',
    summary: 'Delete every version of a policy',
    access: 'admin',
    query: [NS],
    response: 'Message',
    errors: [400],
  },
  {
    method: 'put',
    path: '/policies/{policy_id}/status',
    summary: 'draft → published, published → production, production → published',
    access: 'admin',
    query: [NS],
    body: 'PolicyVersionStatusUpdateRequest',
    response: 'PolicyDBResponse',
    errors: [400, 404, 422],
  },
  {
    method: 'get',
    path: '/policies/{policy_id}/resolved-guardrails',
    summary: "A version's guardrails through its inheritance chain",
    access: 'reader',
    query: [NS],
    response: 'ResolvedGuardrailsResponse',
    errors: [404],
  },
  {
    method: 'get',
    path: '/policies/{policy_id}',
    summary: 'Get a version (or a declared policy by name)',
    access: 'reader',
    query: [NS],
    response: 'PolicyDBResponse',
    errors: [404],
  },
  {
    method: 'put',
    path: '/policies/{policy_id}',
    summary: 'Edit a draft',
    access: 'admin',
    query: [NS],
    body: 'PolicyUpdateRequest',
    response: 'PolicyDBResponse',
    errors: [400, 404, 422],
  },
  {
    method: 'delete',
    path: '/policies/{policy_id}',
    summary: 'Delete one version (warning when it was production)',
    access: 'admin',
    query: [NS],
    response: 'Message',
    errors: [400, 404],
  },
  {
    method: 'post',
    path: '/policies/test-pipeline',
    summary: 'Run a pipeline on test messages with the namespace guardrails',
    access: 'reader',
    query: [NS],
    body: 'PipelineTestRequest',
    response: 'PipelineExecutionResult',
    errors: [400, 422],
  },
  {
    method: 'post',
    path: '/policies/resolve',
    summary: 'Guardrails for a request context',
    access: 'reader',
    body: 'PolicyResolveRequest',
    response: 'PolicyResolveResponse',
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/policies/attachments/list',
    summary: 'List attachments (API-created newest first, then declared)',
    access: 'reader',
    query: [NS],
    response: 'PolicyAttachmentListResponse',
  },
  {
    method: 'post',
    path: '/policies/attachments',
    summary: 'Attach a policy (it needs a production version)',
    access: 'admin',
    query: [NS],
    body: 'PolicyAttachmentCreateRequest',
    response: 'PolicyAttachmentDBResponse',
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/policies/attachments/{attachment_id}',
    summary: 'Get an attachment',
    access: 'reader',
    query: [NS],
    response: 'PolicyAttachmentDBResponse',
    errors: [404],
  },
  {
    method: 'delete',
    path: '/policies/attachments/{attachment_id}',
    summary: 'Delete an API-created attachment',
    access: 'admin',
    query: [NS],
    response: 'Message',
    errors: [400, 404],
  },
];

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad request (the detail says what to change)',
  401: 'Missing or invalid token',
  403: 'A reader token on a write',
  404: 'Not found',
  405: 'Kubernetes mode: the API does not write; change the Policy and PolicyAttachment objects (kubectl apply, GitOps)',
  413: 'Body over the size limit',
  422: 'Body or query fails validation (unknown fields are named)',
  503: 'Not ready',
};

function operation(op: Operation): Schema {
  const errorCodes = [
    ...(op.errors ?? []),
    ...(op.access === 'open' ? [] : [401]),
    ...(op.access === 'admin' ? [403, 405] : []),
  ];
  if (op.body) errorCodes.push(413);
  const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: str,
  }));
  const queryParams = (op.query ?? []).map((q) => ({
    name: q.name,
    in: 'query',
    required: q.required ?? false,
    description: q.description,
    schema: str,
  }));
  const success =
    op.response === 'text'
      ? { description: 'OK', content: { 'text/plain': { schema: str } } }
      : {
          description: 'OK',
          content: {
            'application/json': { schema: op.response === 'object' ? { type: 'object' } : ref(op.response) },
          },
        };
  const responses: Record<string, unknown> = { 200: success };
  if (op.notModified)
    responses[304] = { description: 'Not modified (ETag matched, or the long-poll deadline passed)' };
  for (const code of [...new Set(errorCodes)].sort()) {
    responses[code] = {
      description: ERROR_TEXT[code],
      content: { 'application/json': { schema: ref('Error') } },
    };
  }
  return {
    summary: op.summary,
    operationId: `${op.method}${op.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    tags: [op.path.startsWith('/policies') ? 'Policies' : op.access === 'open' ? 'Health' : 'Proxy'],
    'x-railyard-access': op.access,
    ...(op.access === 'open' ? { security: [] } : {}),
    ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } }
      : {}),
    responses,
  };
}

/** The document. Deterministic: the same build always gives the same JSON. */
export function openApiDocument(version = '0.1.0'): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, Schema>)[op.method] = operation(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Railyard',
      version,
      description:
        "GitOps control plane for LLM proxy guardrail policies. A superset of LiteLLM's /policies management API. Bearer tokens: readers may GET and POST /policies/resolve, /policies/test-pipeline and /v1/explain; admins may do everything.",
    },
    security: [{ bearerAuth: [] }],
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } }, schemas: SCHEMAS },
    paths,
  };
}

export function registerOpenApiRoute(api: Express): void {
  const body = openApiDocument();
  api.get('/openapi.json', (_req, res) => {
    res.json(body);
  });
}
