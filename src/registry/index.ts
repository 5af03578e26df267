export {
  type AnswerOptions,
  type AnswerRequest,
  answer,
  type ResolveAnswer,
} from './answer.ts';
export { AnswerCache, answerKey } from './answer-cache.ts';
export { type AttachmentImpact, estimateAttachmentImpact } from './attachment-impact.ts';
export { chooseNamespace } from './namespace.ts';
export type { AttachmentInput, VersionEntry, WriteScope } from './policy-api.ts';
export * as policyApi from './policy-api.ts';
export { type PolicyCandidate, validatePolicies } from './policy-validate.ts';
export { Registry } from './registry.ts';
export {
  type ShadowReport,
  type ShadowReportEntry,
  shadowReport,
} from './shadow-report.ts';
export { shadowView } from './shadow-view.ts';
export { buildSnapshot, type NamespaceView, namespaceIndex, type Snapshot } from './snapshot.ts';
export {
  applyGuardrails,
  runTestPipeline,
} from './test-pipeline.ts';
