export type { AgentgatewayCall, AgentgatewayHeaderNames, ResponseBlock } from './agentgateway.ts';
export {
  AGENTGATEWAY_HEADER_DEFAULTS,
  agentgatewayAnswer,
  credentialHeaders,
  parseAgentgatewayRequest,
} from './agentgateway.ts';
export { CALL_CACHE_DEFAULTS, CallCache, type CallCacheOptions } from './call-cache.ts';
export {
  createDecider,
  DECIDER_DEFAULTS,
  type Decide,
  type DeciderOptions,
  type Decision,
  type DecisionInput,
  type GuardrailRun,
  GuardrailRunners,
  type Phase,
  type Verdict,
} from './decision.ts';
export { type DecisionEvent, type ProxyName, recordDecision } from './decision-log.ts';
export { type LitellmCall, litellmAnswer, parseLitellmRequest, type WireAnswer } from './litellm.ts';
export { type Comparison, compareDecisions, maskDigest } from './shadow-compare.ts';
export { SHADOW_RUNNER_DEFAULTS, ShadowRunner, type ShadowRunnerOptions } from './shadow-runner.ts';
