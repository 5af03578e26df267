/**
 * The guardrail catalog in LiteLLM's shape (`GET /v2/guardrails/list`, `GET /guardrails/list`) and
 * the batch test of `POST /utils/test_policies_and_guardrails`.
 */
import type { GuardrailSpec } from '../../engine/index.ts';
import { DEFINITION_LOCATIONS } from './policy.ts';
import {
  type FromSchema,
  lenientObject,
  NULLABLE_STRING,
  NULLABLE_STRINGS,
  object,
  STRING,
} from './schema.ts';

const LITELLM_PARAMS = object({ guardrail: STRING, mode: STRING, default_on: { type: 'boolean' } }, [
  'guardrail',
  'mode',
  'default_on',
]);
const GUARDRAIL_INFO = object({ description: STRING, type: STRING, failure_policy: STRING }, [
  'type',
  'failure_policy',
]);

/** `GuardrailInfoResponse` as `/v2/guardrails/list` gives it. Declared guardrails are `config` ones. */
export const GUARDRAIL_INFO_RESPONSE = object(
  {
    guardrail_id: STRING,
    guardrail_name: STRING,
    litellm_params: LITELLM_PARAMS,
    guardrail_info: GUARDRAIL_INFO,
    guardrail_definition_location: { enum: DEFINITION_LOCATIONS },
    namespace: STRING,
  },
  [
    'guardrail_id',
    'guardrail_name',
    'litellm_params',
    'guardrail_info',
    'guardrail_definition_location',
    'namespace',
  ],
);
export const GUARDRAIL_LIST_RESPONSE = object(
  { guardrails: { type: 'array', items: GUARDRAIL_INFO_RESPONSE } },
  ['guardrails'],
);
/** The original `/guardrails/list`: what the config names, without ids. */
export const GUARDRAIL_LIST_V1_RESPONSE = object(
  {
    guardrails: {
      type: 'array',
      items: object(
        { guardrail_name: STRING, litellm_params: LITELLM_PARAMS, guardrail_info: GUARDRAIL_INFO },
        ['guardrail_name', 'litellm_params', 'guardrail_info'],
      ),
    },
  },
  ['guardrails'],
);

/**
 * One guardrail: `litellm_params.guardrail` is the Railyard type (`pii`, `webhook`, `external`…),
 * `default_on` is false (attachments decide where it runs). Its `config` is not shown: a webhook's
 * headers may hold credentials.
 */
export function toWireGuardrail(
  namespace: string,
  name: string,
  spec: GuardrailSpec,
): FromSchema<typeof GUARDRAIL_INFO_RESPONSE> {
  return {
    guardrail_id: name,
    guardrail_name: name,
    litellm_params: { guardrail: spec.type, mode: spec.mode, default_on: false },
    guardrail_info: {
      ...(spec.description ? { description: spec.description } : {}),
      type: spec.type,
      failure_policy: spec.failurePolicy,
    },
    guardrail_definition_location: 'config',
    namespace,
  };
}

/** LiteLLM's `GenericGuardrailAPIInputs`; what Railyard checks is `texts`, the rest is echoed. */
const GUARDRAIL_INPUTS = lenientObject({
  texts: NULLABLE_STRINGS,
  images: NULLABLE_STRINGS,
  structured_messages: { type: ['array', 'null'] },
  tools: { type: ['array', 'null'] },
  tool_calls: { type: ['array', 'null'] },
  model: NULLABLE_STRING,
});

/** `TestPoliciesAndGuardrailsRequest`; unknown fields are ignored, as LiteLLM does. */
export const TEST_POLICIES_REQUEST = lenientObject({
  policy_names: NULLABLE_STRINGS,
  guardrail_names: NULLABLE_STRINGS,
  inputs_list: { type: 'array', items: GUARDRAIL_INPUTS, maxItems: 256 },
  request_data: { type: ['object', 'null'] },
  input_type: { enum: ['request', 'response'] },
  agent_id: NULLABLE_STRING,
});

const GUARDRAIL_ERROR = object({ guardrail_name: STRING, message: STRING }, ['guardrail_name', 'message']);

export const TEST_POLICIES_RESPONSE = object(
  {
    results: {
      type: 'array',
      items: object(
        { inputs: GUARDRAIL_INPUTS, guardrail_errors: { type: 'array', items: GUARDRAIL_ERROR } },
        ['inputs', 'guardrail_errors'],
      ),
    },
  },
  ['results'],
);
