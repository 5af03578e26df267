/** What one reconcile pass reads and leaves for the next: the state, its input, its options and outcome. */
import type { HistoryFit } from './history-retention.ts';
import type { ObjectStatus } from './status.ts';
import type {
  FloorGuardrail,
  Issue,
  Key,
  Labels,
  Origin,
  PolicyHistory,
  RejectedDocument,
  Resource,
} from './types.ts';
import type { Validation } from './validate.ts';
import type { VersionEnv } from './versions.ts';
import type { VersionChange } from './versions-declared.ts';

/**
 * What the reconciler keeps between passes. `lastGood` holds, per declared key, the version of the
 * object in force: an object whose new content is invalid keeps its last good version serving.
 */
export type DeclaredState = {
  readonly histories: ReadonlyMap<string, PolicyHistory>;
  readonly lastGood: ReadonlyMap<string, Resource>;
  readonly statuses: ReadonlyMap<string, ObjectStatus>;
  /** Documents that could not even be named (YAML errors, no kind or name), by `path:line`. */
  readonly unreadable: ReadonlyMap<string, RejectedDocument>;
  /**
   * Per Policy key, why the history its valid spec calls for could not be stored (`fitHistory`
   * refused it): the stored history keeps serving until the spec changes or a leader re-applies.
   */
  readonly historyFailures: ReadonlyMap<string, string>;
  /** Per namespace with at least one Guardrail, its catalog as Policy statuses read it. */
  readonly catalogs: ReadonlyMap<string, Catalog>;
  /**
   * Per namespace some floor in force selects, its mandatory guardrails (see `floorsByNamespace`):
   * what policy statuses and floor statuses read. An entry is the same object while it is equal.
   */
  readonly floors: ReadonlyMap<string, readonly FloorGuardrail[]>;
  /** The namespaces' labels the pass was given (Kubernetes mode); undefined where they have none. */
  readonly namespaceLabels?: ReadonlyMap<string, Labels>;
  /** What the last pass computed, so that the next one redoes only what changed; opaque. */
  readonly memo?: PassMemo;
};

/**
 * The guardrails of one namespace, as a Policy's Ready condition reads them. A new object only
 * when its content changed, so statuses computed from it can be re-used while it is the same.
 */
export type Catalog = {
  /** Every declared Guardrail name, valid or not. */
  readonly declared: ReadonlySet<string>;
  /** The names with a version in force: valid now, or the last good version of an invalid edit. */
  readonly serving: ReadonlySet<string>;
};

/** Per declared key, what its status was computed from; a status is re-used while all of it is the same. */
export type StatusMemo = {
  readonly res: Resource;
  /** The key of `history` in the histories map. */
  readonly historyKey: string | undefined;
  readonly issues: readonly Issue[];
  readonly good: Resource | undefined;
  /** The history its Ready condition read: its own (a policy) or its policy's (an attachment). */
  readonly history: PolicyHistory | undefined;
  /** The catalog its Ready condition read (policies only). */
  readonly catalog: Catalog | undefined;
  /** The parents' histories its Ready condition read along the production chain (policies only). */
  readonly reads: readonly ChainRead[];
  readonly status: ObjectStatus;
};

export type ChainRead = { readonly hk: string; readonly history: PolicyHistory | undefined };

export type PassMemo = {
  readonly validation: Validation;
  readonly statuses: ReadonlyMap<string, StatusMemo>;
  /** API-owned policies as resources, by history key, re-used while their history is the same object. */
  readonly apiOwned: ReadonlyMap<string, { readonly history: PolicyHistory; readonly res: Resource }>;
  /** The histories the pass left: a state whose histories are another map was changed since. */
  readonly histories: ReadonlyMap<string, PolicyHistory>;
  readonly rejected: number;
  readonly versioning: 'apply' | 'observe';
  /** Per history key, the policies whose Ready condition read it as a parent's (see `ChainRead`). */
  readonly chainReaders: ReadonlyMap<string, ReadonlySet<string>>;
};

export type DeclaredInput = {
  readonly resources: readonly Resource[];
  readonly rejected: readonly RejectedDocument[];
  /**
   * The labels of every namespace there is (Kubernetes mode: the Namespace objects). Undefined
   * where namespaces have no labels (directory mode, the CLI): a floor's label selector is then
   * an error. The same map object while nothing in it changed.
   */
  readonly namespaceLabels?: ReadonlyMap<string, Labels>;
};

export type PassOptions = {
  readonly env: VersionEnv;
  /**
   * `apply` (the default) records versions for valid policies and retires deleted ones. `observe`
   * takes the histories as they are: a replica that is not the leader reads the versions the
   * leader wrote and only computes statuses.
   */
  readonly versioning?: 'apply' | 'observe';
  /**
   * Apply every valid policy again, not only those whose resource changed (a new leader: the last
   * one may have died between two writes). Applying is idempotent, so this only costs time.
   */
  readonly reapplyAll?: boolean;
  /** Pass the same function every pass: a different one makes the next pass validate everything. */
  readonly checkGuardrailConfig?: (g: Extract<Resource, { kind: 'Guardrail' }>) => Issue[];
  /**
   * What the store can keep of a history this pass changed by applying a policy (retention, the
   * object-size limit). Without it every history is kept whole. A refusal keeps the previous
   * history (what is stored serves) and the policy reports `HistoryNotStored`.
   */
  readonly fitHistory?: (history: PolicyHistory) => HistoryFit;
};

export type ReconcileChange =
  | { readonly kind: 'version'; readonly key: Key; readonly change: VersionChange }
  | {
      readonly kind: 'invalid';
      readonly key?: Key;
      readonly origin: Origin;
      readonly issues: readonly Issue[];
    }
  | { readonly kind: 'removed'; readonly key: Key }
  /** Retention dropped these versions from the history to be stored. */
  | { readonly kind: 'pruned'; readonly key: Key; readonly versions: readonly number[] }
  /** The history this policy's spec calls for cannot be stored; the stored one keeps serving. */
  | { readonly kind: 'not_stored'; readonly key: Key; readonly message: string };

export const emptyDeclaredState = (
  histories: ReadonlyMap<string, PolicyHistory> = new Map(),
): DeclaredState => ({
  histories,
  lastGood: new Map(),
  statuses: new Map(),
  unreadable: new Map(),
  historyFailures: new Map(),
  catalogs: new Map(),
  floors: new Map(),
});

export const historyKey = (namespace: string, name: string): string => `${namespace}/${name}`;
