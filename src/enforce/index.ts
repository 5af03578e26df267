export type { AgentgatewayHeaderNames, ResponseBlock } from './agentgateway.ts';
export {
  AGENTGATEWAY_HEADER_DEFAULTS,
  agentgatewayAnswer,
  credentialHeaders,
  parseAgentgatewayRequest,
} from './agentgateway.ts';
export { CALL_CACHE_DEFAULTS, CallCache } from './call-cache.ts';
export { CallVerdicts } from './call-verdicts.ts';
export {
  createDecider,
  DECIDER_DEFAULTS,
  type Decide,
  type Decision,
  type DecisionInput,
  GuardrailRunners,
  type Phase,
  type Verdict,
} from './decision.ts';
export { type ProxyName, recordDecision } from './decision-log.ts';
export { type LitellmCall, litellmAnswer, parseLitellmRequest, type WireAnswer } from './litellm.ts';
export { compareDecisions, maskDigest } from './shadow-compare.ts';
export { SHADOW_DISPATCH_DEFAULTS, ShadowDispatcher } from './shadow-dispatch.ts';
export { ShadowRunner } from './shadow-runner.ts';
export { ShadowThread } from './shadow-thread.ts';
