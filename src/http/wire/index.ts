/**
 * The one wire module: every shape that crosses HTTP (LiteLLM's snake_case names live only here),
 * as JSON Schemas from which the body validators are compiled, the mappers are typed and the
 * OpenAPI document is derived.
 */
export {
  ATTACHMENT_CHECKED_LATER,
  POLICY_ATTACHMENT_CREATE_REQUEST,
  toWireAttachment,
  toWireImpact,
} from './attachment.ts';
export { contextFromQuery, fromWireContext, POLICY_RESOLVE_REQUEST } from './context.ts';
export { TEST_POLICIES_REQUEST, toWireGuardrail } from './guardrail.ts';
export { openApiDocument } from './openapi.ts';
export { OPERATIONS } from './operations.ts';
export {
  PIPELINE_TEST_CHECKED_LATER,
  PIPELINE_TEST_REQUEST,
  renderIssues,
  toWirePipelineResult,
  validatePipeline,
} from './pipeline.ts';
export {
  contentFromPatch,
  fromWirePolicyFields,
  POLICY_CHECKED_LATER,
  POLICY_CREATE_REQUEST,
  POLICY_STATUS_REQUEST,
  POLICY_UPDATE_REQUEST,
  POLICY_VERSION_CREATE_REQUEST,
  STATUS_CHECKED_LATER,
  toWirePolicy,
  toWireVersionDiff,
  type WirePolicy,
  type WirePolicyFields,
} from './policy.ts';
export {
  fromLitellmPolicyConfig,
  POLICY_VALIDATE_REQUEST,
  toWireValidation,
} from './policy-config.ts';
export { toWireExplanation, toWireResolution } from './resolution.ts';
export {
  SHADOW_START_REQUEST,
  toWireShadowEntry,
  toWireShadowReport,
  type WireShadowReport,
} from './shadow.ts';
export { toWireSnapshot } from './snapshot.ts';
export { toWireReconcileStatus } from './status.ts';
export { toWireTemplate } from './template.ts';
export { toWireUsageLog, toWireUsageOverview, type UsageWindow } from './usage.ts';
export { bodyParser } from './validator.ts';
