/**
 * The resolution index of one namespace, built once at reconcile time from the production version
 * of each policy and every attachment, then shared read-only by every request. A request costs
 * what matches, not what exists: each attachment is filed under one anchor dimension, and a query
 * only visits the buckets of the context's own values before verifying candidates in full.
 */
import type { CompiledCondition } from './condition.ts';
import type { GuardrailLevel } from './inherit.ts';
import { DIMENSIONS, type Dimension } from './match.ts';
import type {
  AttachmentRecord,
  AttachmentSpec,
  FloorGuardrail,
  PolicyContent,
  PolicyVersion,
  Resolution,
  VersionRef,
} from './types.ts';

/** One level of a policy's inheritance chain: the version used and its compiled condition. */
export type ChainLevel = GuardrailLevel & { readonly ref: VersionRef; readonly content: PolicyContent };

export type IndexedPolicy = {
  readonly name: string;
  readonly ref: VersionRef;
  /** The policy's own top-level condition. */
  readonly condition: CompiledCondition;
  /** Root first, ending with the policy itself. */
  readonly chain: readonly ChainLevel[];
  /** The version of each level of `chain`, root first. */
  readonly versions: readonly VersionRef[];
  /** The chain resolved without a context (every level applies), sorted. */
  readonly guardrails: readonly string[];
  /** No level above the policy itself has a condition: once its own condition passed, `guardrails` is the answer. */
  readonly ancestorsUnconditional: boolean;
  /**
   * Memo of `resolvePolicyGuardrails(chain, {model})` by model, bounded; see `chainGuardrails`.
   * Only where a request can need it: when a level above the policy has a condition.
   */
  readonly byModel: Map<string, readonly string[]> | undefined;
  /** The namespace's mandatory guardrails: no level's removal takes them out (shared by every policy). */
  readonly mandatory: ReadonlySet<string>;
};

/**
 * Where an attachment is filed: `global` (`scope: "*"`), `always` (every dimension is a wildcard),
 * `dangling` (its policy has no production version: it never matches), or the dimension whose
 * buckets hold it.
 */
export const ANCHORS = ['global', 'always', 'dangling', ...DIMENSIONS] as const;
export type Anchor = (typeof ANCHORS)[number];

export type IndexedAttachment = {
  readonly record: AttachmentRecord;
  /** Position in the deterministic order: priority desc, then policy name, then attachment id. */
  readonly rank: number;
  readonly anchor: Anchor;
  /**
   * `record.spec` and `record.attachmentId` again, copied when the index is built so that what a
   * request reads of each attachment sits together in memory: in a large registry the candidates
   * of one request are scattered, and every separate object read is a cache miss.
   */
  readonly spec: AttachmentSpec;
  readonly attachmentId: string;
  /** The indexed policy it attaches; undefined for a dangling one. */
  readonly policy: IndexedPolicy | undefined;
};

export type Buckets = {
  readonly exact: ReadonlyMap<string, readonly number[]>;
  /** Keyed by the pattern without its trailing `*`. */
  readonly prefix: ReadonlyMap<string, readonly number[]>;
  /** The distinct lengths of the keys of `prefix`, ascending: a query slices only these. */
  readonly prefixLengths: readonly number[];
  /**
   * The attachments found for a value (exact and prefix hits together, ascending rank),
   * remembered: request values repeat, and a repeat then costs one lookup instead of one per
   * prefix length. Each index has its own, so an entry never goes stale.
   */
  readonly byValue: ValueMemo;
};

/** A lookup memo bounded by an estimate of its bytes: past its budget it starts over. */
export type ValueMemo = { readonly entries: Map<string, readonly IndexedAttachment[]>; bytes: number };

export type PolicyIndex = {
  readonly policies: ReadonlyMap<string, IndexedPolicy>;
  /** Every attachment, in rank order (`attachments[i].rank === i`). */
  readonly attachments: readonly IndexedAttachment[];
  /** The global and `always` attachments, ascending rank: candidates of every request. */
  readonly alwaysCandidates: readonly IndexedAttachment[];
  readonly buckets: Readonly<Record<Dimension, Buckets>>;
  /** The namespace's floor: mandatory guardrails with the floors that make them so, sorted. */
  readonly floor: readonly FloorGuardrail[];
  /** The floor's guardrail names, sorted and unique: part of every answer. */
  readonly floorGuardrails: readonly string[];
  /** What a request that matches no policy gets: the floor alone. */
  readonly floorOnly: Resolution;
};

export type PolicyIndexInput = {
  /** Production versions. Should two share a name, the highest version number (then lowest policyId) wins. */
  readonly policies: readonly { readonly version: PolicyVersion }[];
  readonly attachments: readonly AttachmentRecord[];
  /** The namespace's floor (see `floorsByNamespace`); none when absent. */
  readonly floor?: readonly FloorGuardrail[];
};
