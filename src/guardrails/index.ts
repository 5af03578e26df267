export type { Check, CheckResult, Detector, MatchAction, Span } from './check.ts';
export { CHECK_POOL_DEFAULTS, CheckPool, type CheckPoolOptions } from './check-pool.ts';
export type { PiiEntity } from './pii-detectors.ts';
export { PII_ENTITIES } from './pii-detectors.ts';
export { normalizeForInjection } from './prompt-injection.ts';
export type { CompiledGuardrail, RunnerOptions } from './runner.ts';
export { compileGuardrail, createGuardrailRunner } from './runner.ts';
export type { WebhookCall, WebhookRequest } from './webhook.ts';
