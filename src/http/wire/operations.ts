/**
 * Every route, fast path and management API alike, with the wire shapes it takes and gives: the
 * table the OpenAPI document is derived from. test/integration/http-openapi.test.ts checks it
 * against the routes actually registered and the bodies they actually send.
 */
import { CONTEXT_LIMITS, VERSION_STATUSES } from '../../engine/index.ts';
import type { Access } from '../server.ts';
import {
  ATTACHMENT_IMPACT_RESPONSE,
  POLICY_ATTACHMENT_CREATE_REQUEST,
  POLICY_ATTACHMENT_DB_RESPONSE,
  POLICY_ATTACHMENT_LIST_RESPONSE,
} from './attachment.ts';
import { HEALTH, LIVENESS, MESSAGE_RESPONSE, READINESS } from './common.ts';
import { POLICY_RESOLVE_REQUEST } from './context.ts';
import {
  GUARDRAIL_LIST_RESPONSE,
  GUARDRAIL_LIST_V1_RESPONSE,
  TEST_POLICIES_REQUEST,
  TEST_POLICIES_RESPONSE,
} from './guardrail.ts';
import { PIPELINE_EXECUTION_RESULT, PIPELINE_TEST_REQUEST } from './pipeline.ts';
import {
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
import { SHADOW_ENTRY, SHADOW_REPORT, SHADOW_START_REQUEST } from './shadow.ts';
import { SNAPSHOT } from './snapshot.ts';
import { STATUS } from './status.ts';
import { POLICY_TEMPLATES_RESPONSE } from './template.ts';
import { USAGE_LOGS_RESPONSE, USAGE_OVERVIEW_RESPONSE } from './usage.ts';

type Param = {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  /** A string unless said otherwise. */
  readonly schema?: Schema;
};

/** One operation: the route as Express or the fast path registers it, in OpenAPI path syntax. */
export type Operation = {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  readonly path: string;
  readonly summary: string;
  readonly access: Access;
  readonly query?: readonly Param[];
  readonly body?: Schema;
  /** The JSON body of a 200, or `text` for Prometheus text. */
  readonly response: Schema | 'text';
  /** Error statuses beyond the authentication ones (and 413 for a body). */
  readonly errors?: readonly number[];
  readonly notModified?: boolean;
};

const NS: Param = {
  name: 'namespace',
  description: 'Namespace (default: the only one served, else --namespace)',
};
const CONTEXT_VALUE: Schema = { type: 'string', maxLength: CONTEXT_LIMITS.valueChars };
const CONTEXT: Param[] = [
  ...['team_alias', 'key_alias', 'model'].map((name) => ({
    name,
    description: `Request ${name} (at most ${CONTEXT_LIMITS.valueChars} characters)`,
    schema: CONTEXT_VALUE,
  })),
  {
    name: 'tags',
    description: `Comma-separated or repeated; at most ${CONTEXT_LIMITS.tags} tags of at most ${CONTEXT_LIMITS.valueChars} characters`,
  },
];

const USAGE_QUERY: Param[] = [
  {
    name: 'start_date',
    description: 'YYYY-MM-DD (UTC) or an ISO 8601 instant; default: the oldest hour kept',
  },
  { name: 'end_date', description: 'YYYY-MM-DD (UTC, included) or an ISO 8601 instant; default: now' },
  { name: 'namespace', description: 'Only this namespace (default: every namespace)' },
];

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'post',
    path: '/policy/validate',
    summary: 'Check policies (LiteLLM config form) as if declared now, beside the served ones',
    access: 'reader',
    query: [NS],
    body: POLICY_VALIDATE_REQUEST,
    response: POLICY_VALIDATION_RESPONSE,
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/policy/info/{policy_name}',
    summary: 'A policy in production with its resolved guardrails and inheritance chain',
    access: 'reader',
    query: [NS],
    response: POLICY_INFO_RESPONSE,
    errors: [404],
  },
  {
    method: 'get',
    path: '/policy/templates',
    summary: 'Policy templates (the folder of --templates), with their YAML',
    access: 'reader',
    response: POLICY_TEMPLATES_RESPONSE,
  },
  {
    method: 'get',
    path: '/policies/usage/overview',
    summary: 'Per policy: decisions, blocks, masks, errors, cannot-decide, over hourly buckets',
    access: 'reader',
    query: USAGE_QUERY,
    response: USAGE_OVERVIEW_RESPONSE,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/guardrails/usage/overview',
    summary: 'Per guardrail: runs, blocks, masks, errors, over hourly buckets',
    access: 'reader',
    query: USAGE_QUERY,
    response: USAGE_OVERVIEW_RESPONSE,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/guardrails/usage/logs',
    summary: 'Recent enforcement decisions (never their text), by guardrail or policy',
    access: 'reader',
    query: [
      { name: 'guardrail_id', description: 'A guardrail name' },
      { name: 'policy_id', description: 'A policy name, or the policy_id of one of its versions' },
      { name: 'action', description: 'blocked | passed | flagged' },
      { name: 'page', description: 'From 1', schema: { type: 'integer', minimum: 1 } },
      {
        name: 'page_size',
        description: '1 to 100 (50)',
        schema: { type: 'integer', minimum: 1, maximum: 100 },
      },
      ...USAGE_QUERY,
    ],
    response: USAGE_LOGS_RESPONSE,
    errors: [400, 404, 422],
  },
  {
    method: 'get',
    path: '/v2/guardrails/list',
    summary: "The namespace's guardrail catalog, in LiteLLM's shape",
    access: 'reader',
    query: [NS],
    response: GUARDRAIL_LIST_RESPONSE,
    errors: [404],
  },
  {
    method: 'get',
    path: '/guardrails/list',
    summary: "The guardrail catalog in LiteLLM's original shape (names, params, info)",
    access: 'reader',
    query: [NS],
    response: GUARDRAIL_LIST_V1_RESPONSE,
    errors: [404],
  },
  {
    method: 'post',
    path: '/utils/test_policies_and_guardrails',
    summary: "Run policies' and named guardrails on each input; every failure is collected",
    access: 'reader',
    query: [NS],
    body: TEST_POLICIES_REQUEST,
    response: TEST_POLICIES_RESPONSE,
    errors: [400, 404, 422],
  },
  { method: 'get', path: '/healthz', summary: 'The process answers', access: 'open', response: HEALTH },
  {
    method: 'get',
    path: '/livez',
    summary: 'Liveness: the event loop and reconciling are not stuck',
    access: 'open',
    response: LIVENESS,
    errors: [503],
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: initial sync done (stays ready without the API server: see /v1/status)',
    access: 'open',
    response: READINESS,
    errors: [503],
  },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', access: 'open', response: 'text' },
  {
    method: 'get',
    path: '/v1/resolve',
    summary: 'Guardrails for a request context (ETag / If-None-Match → 304)',
    access: 'reader',
    query: [...CONTEXT, NS],
    response: POLICY_RESOLVE_RESPONSE,
    notModified: true,
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/v1/snapshot',
    summary: 'The production index; with revision and wait, long-polls for a change',
    access: 'reader',
    query: [
      NS,
      { name: 'revision', description: 'The revision the caller has' },
      {
        name: 'wait',
        description: 'How long to wait for a newer revision: 30s, 500ms, 1m, or seconds (max 60s)',
      },
    ],
    response: SNAPSHOT,
    notModified: true,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/v1/status',
    summary: 'Every declared object with its conditions',
    access: 'reader',
    response: STATUS,
  },
  {
    method: 'get',
    path: '/v1/shadow',
    summary:
      'Versions in shadow: how often each decided as production did, how it differed, by which guardrail',
    access: 'reader',
    query: [
      { name: 'namespace', description: 'Only this namespace (default: every namespace)' },
      { name: 'policy', description: 'Only this policy (the name proxies know)' },
      {
        name: 'limit',
        description: 'Differing decisions to list, newest first: 0 to 500 (50)',
        schema: { type: 'integer', minimum: 0, maximum: 500 },
      },
    ],
    response: SHADOW_REPORT,
    errors: [422],
  },
  {
    method: 'post',
    path: '/v1/explain',
    summary: 'Why a request context gets its guardrails',
    access: 'reader',
    body: POLICY_RESOLVE_REQUEST,
    response: EXPLAIN_RESPONSE,
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    access: 'reader',
    response: { type: 'object' },
  },
  {
    method: 'get',
    path: '/policies/list',
    summary: 'List policy versions (API-created newest first, then declared)',
    access: 'reader',
    query: [
      {
        name: 'version_status',
        description: VERSION_STATUSES.join(' | '),
        schema: { enum: VERSION_STATUSES },
      },
      NS,
    ],
    response: POLICY_LIST_RESPONSE,
    errors: [422],
  },
  {
    method: 'post',
    path: '/policies',
    summary: 'Create a policy (version 1, production)',
    access: 'admin',
    query: [NS],
    body: POLICY_CREATE_REQUEST,
    response: POLICY_DB_RESPONSE,
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
    response: POLICY_COMPARE_RESPONSE,
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/policies/name/{policy_name}/versions',
    summary: 'List the versions of a policy, newest first',
    access: 'reader',
    query: [NS],
    response: POLICY_VERSION_LIST_RESPONSE,
  },
  {
    method: 'post',
    path: '/policies/name/{policy_name}/versions',
    summary: 'Create a draft copy of a version (default: production)',
    access: 'admin',
    query: [NS],
    body: POLICY_VERSION_CREATE_REQUEST,
    response: POLICY_DB_RESPONSE,
    errors: [400, 404, 422],
  },
  {
    method: 'delete',
    path: '/policies/name/{policy_name}/all-versions',
    summary: 'Delete every version of a policy',
    access: 'admin',
    query: [NS],
    response: MESSAGE_RESPONSE,
    errors: [400],
  },
  {
    method: 'put',
    path: '/policies/{policy_id}/status',
    summary: 'draft → published, published → production, production → published',
    access: 'admin',
    query: [NS],
    body: POLICY_STATUS_REQUEST,
    response: POLICY_DB_RESPONSE,
    errors: [400, 404, 422],
  },
  {
    method: 'post',
    path: '/policies/{policy_id}/shadow',
    summary:
      'Run this draft or published version in shadow where its policy applies (API-created policies; directory mode)',
    access: 'admin',
    query: [NS],
    body: SHADOW_START_REQUEST,
    response: SHADOW_ENTRY,
    errors: [400, 404, 422],
  },
  {
    method: 'delete',
    path: '/policies/{policy_id}/shadow',
    summary: 'End the shadow of this version (its counts stay in the report)',
    access: 'admin',
    query: [NS],
    response: MESSAGE_RESPONSE,
    errors: [404],
  },
  {
    method: 'get',
    path: '/policies/{policy_id}/resolved-guardrails',
    summary: "A version's guardrails through its inheritance chain",
    access: 'reader',
    query: [NS],
    response: RESOLVED_GUARDRAILS_RESPONSE,
    errors: [404],
  },
  {
    method: 'get',
    path: '/policies/{policy_id}',
    summary: 'Get a version (or a declared policy by name)',
    access: 'reader',
    query: [NS],
    response: POLICY_DB_RESPONSE,
    errors: [404],
  },
  {
    method: 'put',
    path: '/policies/{policy_id}',
    summary: 'Edit a draft',
    access: 'admin',
    query: [NS],
    body: POLICY_UPDATE_REQUEST,
    response: POLICY_DB_RESPONSE,
    errors: [400, 404, 422],
  },
  {
    method: 'delete',
    path: '/policies/{policy_id}',
    summary: 'Delete one version (warning when it was production)',
    access: 'admin',
    query: [NS],
    response: MESSAGE_RESPONSE,
    errors: [400, 404],
  },
  {
    method: 'post',
    path: '/policies/test-pipeline',
    summary: 'Run a pipeline on test messages with the namespace guardrails',
    access: 'reader',
    query: [NS],
    body: PIPELINE_TEST_REQUEST,
    response: PIPELINE_EXECUTION_RESULT,
    errors: [400, 422],
  },
  {
    method: 'post',
    path: '/policies/resolve',
    summary: 'Guardrails for a request context',
    access: 'reader',
    body: POLICY_RESOLVE_REQUEST,
    response: POLICY_RESOLVE_RESPONSE,
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/policies/attachments/list',
    summary: 'List attachments (API-created newest first, then declared)',
    access: 'reader',
    query: [NS],
    response: POLICY_ATTACHMENT_LIST_RESPONSE,
  },
  {
    method: 'post',
    path: '/policies/attachments',
    summary: 'Attach a policy (it needs a production version)',
    access: 'admin',
    query: [NS],
    body: POLICY_ATTACHMENT_CREATE_REQUEST,
    response: POLICY_ATTACHMENT_DB_RESPONSE,
    errors: [404, 422],
  },
  {
    method: 'post',
    path: '/policies/attachments/estimate-impact',
    summary: 'Which teams, keys and models an attachment would reach, and which contexts gain guardrails',
    access: 'reader',
    query: [NS],
    body: POLICY_ATTACHMENT_CREATE_REQUEST,
    response: ATTACHMENT_IMPACT_RESPONSE,
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/policies/attachments/{attachment_id}',
    summary: 'Get an attachment',
    access: 'reader',
    query: [NS],
    response: POLICY_ATTACHMENT_DB_RESPONSE,
    errors: [404],
  },
  {
    method: 'delete',
    path: '/policies/attachments/{attachment_id}',
    summary: 'Delete an API-created attachment',
    access: 'admin',
    query: [NS],
    response: MESSAGE_RESPONSE,
    errors: [400, 404],
  },
];
