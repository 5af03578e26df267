/**
 * The domain vocabulary shared by every layer. camelCase throughout: LiteLLM's snake_case wire
 * names exist only in `src/http/wire/`. Everything that leaves the engine is read-only.
 */

export const KINDS = ['Policy', 'PolicyAttachment', 'Guardrail', 'GuardrailFloor'] as const;
export type Kind = (typeof KINDS)[number];

/**
 * The cluster-scoped kinds: their objects have no namespace, and their `namespace` is `''`
 * (`CLUSTER_SCOPE`) wherever a resource or key carries one.
 */
const CLUSTER_KINDS = ['GuardrailFloor'] as const satisfies readonly Kind[];
export const CLUSTER_SCOPE = '';

export function isClusterScoped(kind: Kind): boolean {
  return (CLUSTER_KINDS as readonly Kind[]).includes(kind);
}

/** Identity of one declared object: what a source says "may have changed". */
export type Key = { readonly kind: Kind; readonly namespace: string; readonly name: string };

export const VERSION_STATUSES = ['draft', 'published', 'production'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export const STEP_ACTIONS = ['allow', 'block', 'next', 'modify_response'] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

export const PIPELINE_MODES = ['pre_call', 'post_call'] as const;
export type PipelineMode = (typeof PIPELINE_MODES)[number];

export const GUARDRAIL_TYPES = [
  'pii',
  'regex',
  'keywords',
  'prompt_injection',
  'max_length',
  'secrets',
  'webhook',
  'external',
] as const;
export type GuardrailType = (typeof GUARDRAIL_TYPES)[number];

export const GUARDRAIL_MODES = ['pre_call', 'during_call', 'post_call', 'logging_only'] as const;
export type GuardrailMode = (typeof GUARDRAIL_MODES)[number];

export const FAILURE_POLICIES = ['closed', 'open'] as const;
type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export function assertNever(x: never): never {
  throw new Error(`unhandled: ${String(x)}`);
}

// ───────────────────────────── policy content (what a version holds) ─────────────────────────────

export type PipelineStep = {
  readonly guardrail: string;
  /** Defaults: onPass `allow`, onFail `block`, onError unset (= onFail), passData false. */
  readonly onPass: StepAction;
  readonly onFail: StepAction;
  readonly onError?: StepAction;
  readonly passData: boolean;
  readonly modifyResponseMessage?: string;
};

export type Pipeline = { readonly mode: PipelineMode; readonly steps: readonly PipelineStep[] };

/** `model` is an exact name or a full-match regex (RE2 semantics); a list matches when any element does. */
export type Condition = { readonly model?: string | readonly string[] };

/**
 * The versioned content of a policy. Two contents with the same digest are the same version.
 * `guardrails.add`/`remove` are kept sorted and de-duplicated (set semantics).
 */
export type PolicyContent = {
  readonly description?: string;
  readonly inherit?: string;
  readonly guardrails: { readonly add: readonly string[]; readonly remove: readonly string[] };
  readonly condition?: Condition;
  readonly pipeline?: Pipeline;
};

// ───────────────────────────── declared resources (CRDs, files) ─────────────────────────────

/** Where a declared object was read from; rendered in errors and in `policy_definition_location`. */
export type Origin =
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'kubernetes'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'api' };

/** `spec.shadow`: run this spec's version beside production on a sample of live calls. */
type ShadowSpec = {
  /** The share of calls (0 to 1) on which the shadow version also runs. */
  readonly sampleRate: number;
};

export type PolicySpec = PolicyContent & {
  readonly versionStatus: VersionStatus;
  /** The name proxies know the policy by (see `policyNameOf`); not part of the versioned content. */
  readonly policyName?: string;
  /**
   * Run this spec's version in shadow where the policy's production version applies, while it is
   * not the production version; not part of the versioned content.
   */
  readonly shadow?: ShadowSpec;
};

export type AttachmentSpec = {
  readonly policy: string;
  /** Only `*` means anything: a global attachment. */
  readonly scope?: string;
  readonly teams: readonly string[];
  readonly keys: readonly string[];
  readonly models: readonly string[];
  readonly tags: readonly string[];
  /** Higher first when ordering matched policies; default 0. */
  readonly priority: number;
};

export type GuardrailSpec = {
  /** The name proxies know the guardrail by (see `guardrailNameOf`). */
  readonly guardrailName?: string;
  readonly type: GuardrailType;
  readonly mode: GuardrailMode;
  readonly failurePolicy: FailurePolicy;
  readonly description?: string;
  readonly config: Readonly<Record<string, unknown>>;
};

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** A Kubernetes label selector (`metav1.LabelSelector`): every part must match (AND). */
export type LabelSelector = {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly {
    readonly key: string;
    readonly operator: SelectorOperator;
    readonly values: readonly string[];
  }[];
};

/** A namespace's labels, as the Namespace object carries them. */
export type Labels = Readonly<Record<string, string>>;

/**
 * A floor of mandatory guardrails: in the namespaces it selects they apply to every request,
 * whatever the attachments, and no policy's `remove` takes them out.
 */
export type FloorSpec = {
  /** Guardrails, by the names proxies know (as policies reference them); sorted, unique. */
  readonly guardrails: readonly string[];
  /** Namespaces by name; `*` is every namespace. Sorted, unique. */
  readonly namespaces: readonly string[];
  /** Namespaces by their labels (Kubernetes mode: the Namespace objects' labels). */
  readonly namespaceSelector?: LabelSelector;
  readonly description?: string;
};

type ResourceBase<K extends Kind, S> = {
  readonly kind: K;
  readonly namespace: string;
  readonly name: string;
  /** metadata.generation in Kubernetes; undefined elsewhere. */
  readonly generation?: number;
  /** When the backend says the object was created and last changed (Kubernetes); undefined elsewhere. */
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly origin: Origin;
  readonly spec: S;
};
export type PolicyResource = ResourceBase<'Policy', PolicySpec>;
export type AttachmentResource = ResourceBase<'PolicyAttachment', AttachmentSpec>;
export type GuardrailResource = ResourceBase<'Guardrail', GuardrailSpec>;
/** Cluster-scoped: `namespace` is `CLUSTER_SCOPE`. */
export type FloorResource = ResourceBase<'GuardrailFloor', FloorSpec>;
export type Resource = PolicyResource | AttachmentResource | GuardrailResource | FloorResource;

// ───────────────────────────── errors as values ─────────────────────────────

export const ISSUE_CODES = [
  'invalid_schema',
  'invalid_syntax',
  'invalid_inheritance',
  'circular_inheritance',
  'inheritance_too_deep',
  'invalid_regex',
  'invalid_scope',
  'invalid_guardrail',
  'invalid_pipeline',
  'duplicate_object',
  'duplicate_name',
  'invalid_floor',
  'mandatory_guardrail',
] as const;
export type IssueCode = (typeof ISSUE_CODES)[number];

export const ISSUE_SEVERITIES = ['error', 'warning'] as const;
type IssueSeverity = (typeof ISSUE_SEVERITIES)[number];

/**
 * One problem with one object, rendered the same way on a status condition, an HTTP error and the
 * CLI: `<path>: <message>` where the message says what to do.
 */
export type Issue = {
  readonly code: IssueCode;
  readonly severity: IssueSeverity;
  /** Field path inside the object, e.g. `spec.pipeline.steps[1].guardrail`. */
  readonly path: string;
  readonly message: string;
};

/** A document that did not become a resource (schema errors), or could not even be named (no `key`). */
export type RejectedDocument = {
  readonly key?: Key;
  readonly origin: Origin;
  readonly generation?: number;
  readonly issues: readonly Issue[];
};

export type Checked<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

// ───────────────────────────── versions ─────────────────────────────

/** One immutable version of one policy name. `isLatest` is derived (highest versionNumber), never stored. */
export type PolicyVersion = {
  readonly policyId: string;
  readonly policyName: string;
  readonly versionNumber: number;
  readonly status: VersionStatus;
  readonly parentVersionId: string | null;
  readonly digest: string;
  readonly content: PolicyContent;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly publishedAt: string | null;
  readonly productionAt: string | null;
  readonly createdBy: string | null;
  readonly updatedBy: string | null;
};

/**
 * Every version of one policy name in one namespace. `origin` says who owns it: declared policies
 * (files, Kubernetes objects) are read-only through the HTTP API; `api` ones follow the reference.
 * `active` is false while a declared object is deleted: its history is kept for audit, but it
 * takes no part in resolution.
 */
export type PolicyHistory = {
  readonly namespace: string;
  readonly name: string;
  readonly origin: Origin;
  readonly active: boolean;
  /** Ascending by versionNumber. At most one has status `production`. */
  readonly versions: readonly PolicyVersion[];
};

/** An attachment as the registry keeps it, whatever its source. */
export type AttachmentRecord = {
  readonly attachmentId: string;
  readonly namespace: string;
  readonly spec: AttachmentSpec;
  readonly origin: Origin;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string | null;
  readonly updatedBy: string | null;
};

// ───────────────────────────── resolution ─────────────────────────────

/** The request context. `undefined` and `null` mean the same: absent. */
export type RequestContext = {
  readonly teamAlias?: string | null;
  readonly keyAlias?: string | null;
  readonly model?: string | null;
  readonly tags?: readonly string[] | null;
};

export type VersionRef = {
  readonly policyName: string;
  readonly policyId: string;
  readonly versionNumber: number;
  readonly digest: string;
};

export type MatchedPolicy = {
  readonly policyName: string;
  /** Reference 2.3: `scope:*`, `tag:x+team:y+key:z+model:m`, or `scope:default`. */
  readonly matchedVia: string;
  /** The attachment that matched first in the deterministic order. */
  readonly attachment: string;
  /** The policy's own resolved guardrails for the context (its whole chain), sorted. */
  readonly guardrailsAdded: readonly string[];
  /** Every version used for this policy: the policy itself and each ancestor, root first. */
  readonly versions: readonly VersionRef[];
};

/** A guardrail that the floor of a namespace makes mandatory, and the floor that does. */
export type FloorGuardrail = { readonly guardrail: string; readonly floor: string };

export type Resolution = {
  /** Sorted union of every matched policy's guardrails and the namespace's floor. */
  readonly effectiveGuardrails: readonly string[];
  /** Ordered by attachment priority (higher first), then policy name. */
  readonly matchedPolicies: readonly MatchedPolicy[];
  /** The namespace's mandatory guardrails (every request gets them), by guardrail then floor. */
  readonly floor: readonly FloorGuardrail[];
};
