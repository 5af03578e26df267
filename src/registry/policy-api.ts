/**
 * The operations of LiteLLM's `/policies` management API over the registry, as
 * one namespace (`policyApi`). Reads answer from one snapshot; writes go through
 * `Registry.transact`. Every client mistake comes back as a `Failure` value with LiteLLM's
 * message; nothing here throws for one. HTTP statuses are the http layer's business.
 */
export type { VersionEntry } from './api-result.ts';
export type { WriteScope } from './api-write.ts';
export { type AttachmentInput, createAttachment, deleteAttachment } from './attachment-writes.ts';
export {
  comparePolicies,
  getAttachment,
  getPolicy,
  listAttachments,
  listPolicies,
  listVersions,
  policyInfo,
  resolvedGuardrails,
} from './policy-reads.ts';
export {
  createPolicy,
  createVersion,
  deleteAllVersions,
  deleteVersion,
  setStatus,
  updateDraft,
} from './policy-writes.ts';
