export type { AgentgatewayCall, AgentgatewayHeaderNames } from './agentgateway.ts';
export {
  AGENTGATEWAY_HEADER_DEFAULTS,
  agentgatewayAnswer,
  parseAgentgatewayRequest,
} from './agentgateway.ts';
export { type BenchmarkCall, benchmarkCall } from './benchmark-input.ts';
export { CallCache, type CallCacheOptions } from './call-cache.ts';
export {
  createDecider,
  DECIDER_DEFAULTS,
  type Decide,
  type DeciderOptions,
  type Decision,
  type DecisionInput,
  type GuardrailRun,
  type Phase,
  type Verdict,
} from './decision.ts';
export { type DecisionEvent, decisionRecord, type ProxyName, recordDecision } from './decision-log.ts';
export { type LitellmCall, litellmAnswer, parseLitellmRequest, type WireAnswer } from './litellm.ts';
export {
  createEnforcement,
  ENFORCE_DEFAULTS,
  type EnforceDeps,
  type Enforcement,
  type EnforceOptions,
  LITELLM_PATH,
  NAMESPACE_HEADER,
} from './routes.ts';
