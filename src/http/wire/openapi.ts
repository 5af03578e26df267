/**
 * The OpenAPI 3.1 document (`GET /openapi.json`), derived from the operations table and the wire
 * schemas: the schemas the validators compile and the mappers are typed by, printed as they are.
 * A schema that is one of `COMPONENTS` (the same object) is printed once under
 * `components/schemas` and referenced everywhere else.
 */
import {
  ATTACHMENT_IMPACT_RESPONSE,
  POLICY_ATTACHMENT_CREATE_REQUEST,
  POLICY_ATTACHMENT_DB_RESPONSE,
  POLICY_ATTACHMENT_LIST_RESPONSE,
} from './attachment.ts';
import { ERROR, HEALTH, ISSUE, MESSAGE_RESPONSE, READINESS } from './common.ts';
import { POLICY_RESOLVE_REQUEST } from './context.ts';
import {
  GUARDRAIL_INFO_RESPONSE,
  GUARDRAIL_LIST_RESPONSE,
  TEST_POLICIES_REQUEST,
  TEST_POLICIES_RESPONSE,
} from './guardrail.ts';
import { OPERATIONS, type Operation } from './operations.ts';
import {
  GUARDRAIL_PIPELINE,
  MESSAGE,
  PIPELINE_EXECUTION_RESULT,
  PIPELINE_STEP,
  PIPELINE_TEST_REQUEST,
} from './pipeline.ts';
import {
  CONDITION,
  POLICY_COMPARE_RESPONSE,
  POLICY_CREATE_REQUEST,
  POLICY_DB_RESPONSE,
  POLICY_INFO_RESPONSE,
  POLICY_LIST_RESPONSE,
  POLICY_STATUS_REQUEST,
  POLICY_UPDATE_REQUEST,
  POLICY_VERSION_CREATE_REQUEST,
  POLICY_VERSION_LIST_RESPONSE,
  RESOLVED_GUARDRAILS_RESPONSE,
} from './policy.ts';
import { POLICY_VALIDATE_REQUEST, POLICY_VALIDATION_RESPONSE } from './policy-config.ts';
import { EXPLAIN_RESPONSE, POLICY_RESOLVE_RESPONSE } from './resolution.ts';
import type { Schema } from './schema.ts';
import { SNAPSHOT } from './snapshot.ts';
import { RECONCILE_STATUS, STATUS } from './status.ts';
import { POLICY_TEMPLATE } from './template.ts';
import { USAGE_LOGS_RESPONSE, USAGE_OVERVIEW_RESPONSE } from './usage.ts';

/** The named schemas, by the names LiteLLM's API gives them where it has one. */
const COMPONENTS: Readonly<Record<string, Schema>> = {
  Error: ERROR,
  Issue: ISSUE,
  Message: MESSAGE_RESPONSE,
  Health: HEALTH,
  Readiness: READINESS,
  Status: STATUS,
  ReconcileStatus: RECONCILE_STATUS,
  Condition: CONDITION,
  PipelineStep: PIPELINE_STEP,
  GuardrailPipeline: GUARDRAIL_PIPELINE,
  PipelineMessage: MESSAGE,
  PolicyCreateRequest: POLICY_CREATE_REQUEST,
  PolicyUpdateRequest: POLICY_UPDATE_REQUEST,
  PolicyDBResponse: POLICY_DB_RESPONSE,
  PolicyInfoResponse: POLICY_INFO_RESPONSE,
  PolicyValidateRequest: POLICY_VALIDATE_REQUEST,
  PolicyValidationResponse: POLICY_VALIDATION_RESPONSE,
  GuardrailInfoResponse: GUARDRAIL_INFO_RESPONSE,
  PolicyTemplate: POLICY_TEMPLATE,
  UsageOverviewResponse: USAGE_OVERVIEW_RESPONSE,
  UsageLogsResponse: USAGE_LOGS_RESPONSE,
  ListGuardrailsResponse: GUARDRAIL_LIST_RESPONSE,
  TestPoliciesAndGuardrailsRequest: TEST_POLICIES_REQUEST,
  TestPoliciesAndGuardrailsResponse: TEST_POLICIES_RESPONSE,
  PolicyListDBResponse: POLICY_LIST_RESPONSE,
  PolicyVersionListResponse: POLICY_VERSION_LIST_RESPONSE,
  PolicyVersionCreateRequest: POLICY_VERSION_CREATE_REQUEST,
  PolicyVersionStatusUpdateRequest: POLICY_STATUS_REQUEST,
  PolicyVersionCompareResponse: POLICY_COMPARE_RESPONSE,
  ResolvedGuardrailsResponse: RESOLVED_GUARDRAILS_RESPONSE,
  PipelineTestRequest: PIPELINE_TEST_REQUEST,
  PipelineExecutionResult: PIPELINE_EXECUTION_RESULT,
  PolicyAttachmentCreateRequest: POLICY_ATTACHMENT_CREATE_REQUEST,
  PolicyAttachmentDBResponse: POLICY_ATTACHMENT_DB_RESPONSE,
  PolicyAttachmentListResponse: POLICY_ATTACHMENT_LIST_RESPONSE,
  AttachmentImpactResponse: ATTACHMENT_IMPACT_RESPONSE,
  PolicyResolveRequest: POLICY_RESOLVE_REQUEST,
  PolicyResolveResponse: POLICY_RESOLVE_RESPONSE,
  ExplainResponse: EXPLAIN_RESPONSE,
  Snapshot: SNAPSHOT,
};

const NAMES = new Map<unknown, string>(Object.entries(COMPONENTS).map(([name, schema]) => [schema, name]));

/** A copy of `value` in which every named schema but `root` itself is a `$ref` to its component. */
function withRefs(value: unknown, root?: unknown): unknown {
  const name = value === root ? undefined : NAMES.get(value);
  if (name !== undefined) return { $ref: `#/components/schemas/${name}` };
  if (Array.isArray(value)) return value.map((v) => withRefs(v));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRefs(v)]));
}

const ERROR_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request (the detail says what to change)',
  401: 'Missing or invalid token',
  403: 'A reader token on a write',
  404: 'Not found',
  405: 'Kubernetes mode: the API does not write; change the Policy and PolicyAttachment objects (kubectl apply, GitOps)',
  413: 'Body over the size limit',
  422: 'Body or query fails validation (unknown fields and values over a limit are named)',
  503: 'Not ready',
};

function tagOf(op: Operation): string {
  if (op.path.startsWith('/policies') || op.path.startsWith('/policy/')) return 'Policies';
  if (op.path.includes('guardrails') || op.path.startsWith('/utils/')) return 'Guardrails';
  return op.access === 'open' ? 'Health' : 'Proxy';
}

const json = (schema: unknown) => ({ 'application/json': { schema: withRefs(schema) } });

function operation(op: Operation): Record<string, unknown> {
  const errorCodes = [
    ...(op.errors ?? []),
    ...(op.access === 'open' ? [] : [401]),
    ...(op.access === 'admin' ? [403, 405] : []),
    ...(op.body ? [413] : []),
  ];
  const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const queryParams = (op.query ?? []).map((q) => ({
    name: q.name,
    in: 'query',
    required: q.required ?? false,
    description: q.description,
    schema: q.schema ?? { type: 'string' },
  }));
  const responses: Record<string, unknown> = {
    200:
      op.response === 'text'
        ? { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } }
        : { description: 'OK', content: json(op.response) },
  };
  if (op.notModified)
    responses[304] = { description: 'Not modified (ETag matched, or the long-poll deadline passed)' };
  for (const code of [...new Set(errorCodes)].sort()) {
    responses[code] = { description: ERROR_TEXT[code], content: json(ERROR) };
  }
  return {
    summary: op.summary,
    operationId: `${op.method}${op.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    tags: [tagOf(op)],
    'x-railyard-access': op.access,
    ...(op.access === 'open' ? { security: [] } : {}),
    ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
    ...(op.body ? { requestBody: { required: true, content: json(op.body) } } : {}),
    responses,
  };
}

/** The document. Deterministic: the same build always gives the same JSON. */
export function openApiDocument(version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = operation(op);
  }
  const schemas = Object.fromEntries(Object.entries(COMPONENTS).map(([name, s]) => [name, withRefs(s, s)]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Railyard',
      version,
      description:
        "GitOps control plane for LLM proxy guardrail policies. A superset of LiteLLM's /policies management API. Bearer tokens: readers may GET and POST /policies/resolve, /policies/test-pipeline and /v1/explain; admins may do everything.",
    },
    security: [{ bearerAuth: [] }],
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } }, schemas },
    paths,
  };
}
