/**
 * The resolution index of one namespace, built once at reconcile time from the production version
 * of each policy and every attachment, then shared read-only by every request. A request costs
 * what matches, not what exists: each attachment is filed under one anchor dimension, and a query
 * only visits the buckets of the context's own values before verifying candidates in full.
 */
import { type CompiledCondition, compileCondition } from './condition.ts';
import { type GuardrailLevel, inheritanceChain, resolvePolicyGuardrails } from './inherit.ts';
import { contextValue, DIMENSIONS, type Dimension, isGlobal } from './match.ts';
import type {
  AttachmentRecord,
  AttachmentSpec,
  Condition,
  PolicyContent,
  PolicyVersion,
  RequestContext,
  Resolution,
  VersionRef,
} from './types.ts';

/** One level of a policy's inheritance chain: the version used and its compiled condition. */
export type ChainLevel = GuardrailLevel & { readonly ref: VersionRef; readonly content: PolicyContent };

export type IndexedPolicy = {
  readonly name: string;
  readonly ref: VersionRef;
  /** The policy's own top-level condition (reference 2.7 step 2 filter). */
  readonly condition: CompiledCondition;
  /** Root first, ending with the policy itself (reference 2.5). */
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
};

/**
 * Where an attachment is filed: `global` (`scope: "*"`), `always` (every dimension is a wildcard),
 * `dangling` (its policy has no production version: it never matches), or the dimension whose
 * buckets hold it.
 */
export type Anchor = 'global' | 'always' | 'dangling' | Dimension;

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

type Buckets = {
  readonly exact: ReadonlyMap<string, readonly number[]>;
  /** Keyed by the pattern without its trailing `*`. */
  readonly prefix: ReadonlyMap<string, readonly number[]>;
  /** The distinct lengths of the keys of `prefix`, ascending: a query slices only these. */
  readonly prefixLengths: readonly number[];
  /**
   * The attachments found for a value (exact and prefix hits together, ascending rank),
   * remembered: request values repeat, and a repeat then costs one lookup instead of one per
   * prefix length. Bounded; each index has its own, so an entry never goes stale.
   */
  readonly byValue: Map<string, readonly IndexedAttachment[]>;
};

/** Entries a memo of the index holds before it starts over: plenty for live traffic, and bounded. */
export const MEMO_LIMIT = 10_000;

/** Stores `value` in one of the index's memos, starting the memo over once it holds `MEMO_LIMIT`. */
export function remember<K, V>(memo: Map<K, V>, key: K, value: V): V {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

export type PolicyIndex = {
  readonly policies: ReadonlyMap<string, IndexedPolicy>;
  /** Every attachment, in rank order (`attachments[i].rank === i`). */
  readonly attachments: readonly IndexedAttachment[];
  /** The global and `always` attachments, ascending rank: candidates of every request. */
  readonly alwaysCandidates: readonly IndexedAttachment[];
  readonly buckets: Readonly<Record<Dimension, Buckets>>;
  /**
   * Answers already given, by context key (see `resolve`): request contexts repeat (a key calls
   * the same few models), and a repeat then costs one lookup whatever the size of the registry.
   * Bounded like the value memos; each index has its own, so an answer never goes stale.
   */
  readonly byContext: Map<string, Resolution>;
};

export type PolicyIndexInput = {
  /** Production versions. Should two share a name, the highest version number (then lowest policyId) wins. */
  readonly policies: readonly { readonly version: PolicyVersion }[];
  readonly attachments: readonly AttachmentRecord[];
};

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function versionRef(v: PolicyVersion): VersionRef {
  return { policyName: v.policyName, policyId: v.policyId, versionNumber: v.versionNumber, digest: v.digest };
}

/** What an index was built from, so that the next build can re-use what did not change. */
type BuiltFrom = {
  readonly versions: ReadonlyMap<string, PolicyVersion>;
  readonly attachments: readonly AttachmentRecord[];
};
const builtFrom = new WeakMap<PolicyIndex, BuiltFrom>();

function productionByName(input: PolicyIndexInput): Map<string, PolicyVersion> {
  const versions = new Map<string, PolicyVersion>();
  for (const { version } of input.policies) {
    const seen = versions.get(version.policyName);
    const newer =
      seen === undefined ||
      version.versionNumber > seen.versionNumber ||
      (version.versionNumber === seen.versionNumber && version.policyId < seen.policyId);
    if (newer) versions.set(version.policyName, version);
  }
  return versions;
}

/**
 * The indexed policies. A policy of `previous` is re-used when its chain names the same policies
 * at the same version objects: its levels and guardrails would come out deep-equal.
 */
function indexPolicies(
  versions: ReadonlyMap<string, PolicyVersion>,
  previous: { readonly index: PolicyIndex; readonly from: BuiltFrom } | undefined,
): Map<string, IndexedPolicy> {
  const levels = new Map<string, ChainLevel>();
  const names = new Map<string, string>();
  const levelOf = (name: string): ChainLevel => {
    let level = levels.get(name);
    if (level === undefined) {
      const v = versions.get(name) as PolicyVersion;
      const { add, remove } = v.content.guardrails;
      level = {
        add: internNames(add, names),
        remove: internNames(remove, names),
        condition: compileCondition(v.content.condition),
        ref: versionRef(v),
        content: v.content,
      };
      levels.set(name, level);
    }
    return level;
  };
  const lookup = (name: string): PolicyContent | undefined => versions.get(name)?.content;
  const policies = new Map<string, IndexedPolicy>();
  for (const name of [...versions.keys()].sort(byText)) {
    const before = previous?.index.policies.get(name);
    if (before !== undefined && previous && sameChain(before, versions, previous.from.versions)) {
      policies.set(name, before);
      continue;
    }
    const chain = inheritanceChain(name, lookup).map(levelOf);
    const own = levelOf(name);
    const ancestorsUnconditional = chain.every((level) => level === own || level.condition.always);
    policies.set(name, {
      name,
      ref: own.ref,
      condition: own.condition,
      chain,
      versions: chain.map((level) => level.ref),
      guardrails: resolvePolicyGuardrails(chain),
      ancestorsUnconditional,
      byModel: ancestorsUnconditional ? undefined : new Map(),
    });
  }
  return policies;
}

/**
 * True when a policy's chain, built from `was`, comes out the same from `now`: every level is the
 * same version object, and the root's parent is still absent (or was a cycle back into the chain).
 */
function sameChain(
  policy: IndexedPolicy,
  now: ReadonlyMap<string, PolicyVersion>,
  was: ReadonlyMap<string, PolicyVersion>,
): boolean {
  for (const level of policy.chain) {
    const name = level.ref.policyName;
    if (now.get(name) !== was.get(name)) return false;
  }
  const up = policy.chain[0]?.content.inherit;
  return up === undefined || !now.has(up) || policy.chain.some((level) => level.ref.policyName === up);
}

/** The patterns of a dimension, or undefined when it is a wildcard (matches every context). */
function anchorPatterns(spec: AttachmentSpec, dim: Dimension): readonly string[] | undefined {
  const patterns = spec[dim];
  if (patterns.length === 0) return undefined;
  if (dim !== 'tags' && patterns.includes('*')) return undefined;
  return patterns;
}

/** Tie-break between equally selective dimensions: a key names one caller, a model is shared by all. */
const ANCHOR_PREFERENCE: readonly Dimension[] = ['keys', 'teams', 'tags', 'models'];

/**
 * The most selective non-wildcard dimension: the one whose patterns are shared by the fewest
 * attachments (a prefix pattern counts double: it stands for many values).
 */
function chooseAnchor(
  spec: AttachmentSpec,
  counts: Record<Dimension, Map<string, number>>,
): Dimension | undefined {
  let best: Dimension | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const dim of ANCHOR_PREFERENCE) {
    const patterns = anchorPatterns(spec, dim);
    if (patterns === undefined) continue;
    let cost = 0;
    for (const p of patterns) cost += (counts[dim].get(p) ?? 0) * (p.endsWith('*') ? 2 : 1);
    if (cost < bestCost) {
      best = dim;
      bestCost = cost;
    }
  }
  return best;
}

function pushRank(map: Map<string, number[]>, key: string, rank: number): void {
  const ranks = map.get(key);
  if (ranks === undefined) map.set(key, [rank]);
  else if (ranks[ranks.length - 1] !== rank) ranks.push(rank); // ranks arrive ascending
}

/**
 * Builds the index. Cost: O(attachments·log + policies·chain depth); no quadratic step. Pure and
 * deterministic: the order of `input` does not change the index's answers.
 *
 * `previous`, an index built earlier by this function, makes the build incremental: policies
 * whose whole chain is the same version objects keep their entry, and when the attachments are the
 * same objects in the same order and the same policy names are indexed, the attachment buckets are
 * re-used whole. The answers are identical with or without it.
 */
export function buildPolicyIndex(input: PolicyIndexInput, previous?: PolicyIndex): PolicyIndex {
  const versions = productionByName(input);
  const from = previous && builtFrom.get(previous);
  const policies = indexPolicies(versions, previous && from ? { index: previous, from } : undefined);
  const built = { versions, attachments: input.attachments };
  if (
    previous &&
    from &&
    sameItems(from.attachments, input.attachments) &&
    sameNames(previous.policies, policies)
  ) {
    const attachments = previous.attachments.map((a) => {
      const policy = policies.get(a.spec.policy);
      return policy === a.policy ? a : { ...a, policy };
    });
    const index = {
      policies,
      attachments,
      alwaysCandidates: previous.alwaysCandidates.map((a) => attachments[a.rank] as IndexedAttachment),
      buckets: withFreshMemo(previous.buckets),
      byContext: new Map(),
    };
    builtFrom.set(index, built);
    return index;
  }
  const sorted = [...input.attachments].sort(
    (a, b) =>
      b.spec.priority - a.spec.priority ||
      byText(a.spec.policy, b.spec.policy) ||
      byText(a.attachmentId, b.attachmentId),
  );
  const live = (a: AttachmentRecord): boolean => policies.has(a.spec.policy) && !isGlobal(a.spec);
  const counts = { teams: new Map(), keys: new Map(), models: new Map(), tags: new Map() } as Record<
    Dimension,
    Map<string, number>
  >;
  for (const a of sorted) {
    if (!live(a)) continue;
    for (const dim of DIMENSIONS) {
      for (const p of anchorPatterns(a.spec, dim) ?? []) counts[dim].set(p, (counts[dim].get(p) ?? 0) + 1);
    }
  }
  const exact = DIMENSIONS.map(() => new Map<string, number[]>());
  const prefix = DIMENSIONS.map(() => new Map<string, number[]>());
  const alwaysRanks: number[] = [];
  const attachments = sorted.map((record, rank): IndexedAttachment => {
    const indexed = (anchor: Anchor): IndexedAttachment => ({
      record,
      rank,
      anchor,
      spec: compactCopy(record.spec),
      attachmentId: record.attachmentId,
      policy: policies.get(record.spec.policy),
    });
    if (!policies.has(record.spec.policy)) return indexed('dangling');
    const anchor = isGlobal(record.spec) ? 'global' : (chooseAnchor(record.spec, counts) ?? 'always');
    if (anchor === 'global' || anchor === 'always') {
      alwaysRanks.push(rank);
    } else {
      const d = DIMENSIONS.indexOf(anchor);
      for (const p of record.spec[anchor]) {
        if (p.endsWith('*')) pushRank(prefix[d] as Map<string, number[]>, p.slice(0, -1), rank);
        else pushRank(exact[d] as Map<string, number[]>, p, rank);
      }
    }
    return indexed(anchor);
  });
  const buckets = {} as Record<Dimension, Buckets>;
  DIMENSIONS.forEach((dim, d) => {
    const p = prefix[d] as Map<string, number[]>;
    const lengths = [...new Set([...p.keys()].map((k) => k.length))].sort((x, y) => x - y);
    buckets[dim] = {
      exact: exact[d] as Map<string, number[]>,
      prefix: p,
      prefixLengths: lengths,
      byValue: new Map(),
    };
  });
  const alwaysCandidates = alwaysRanks.map((rank) => attachments[rank] as IndexedAttachment);
  const index = { policies, attachments, alwaysCandidates, buckets, byContext: new Map() };
  builtFrom.set(index, built);
  return index;
}

/** The same buckets with empty value memos: the memos hold the attachment objects of one index. */
function withFreshMemo(buckets: Readonly<Record<Dimension, Buckets>>): Record<Dimension, Buckets> {
  const out = {} as Record<Dimension, Buckets>;
  for (const dim of DIMENSIONS) out[dim] = { ...buckets[dim], byValue: new Map() };
  return out;
}

/** The empty list of every compact copy: most attachments leave most selectors empty. */
const NONE: readonly string[] = Object.freeze([]);

const listCopy = (list: readonly string[]): readonly string[] => (list.length === 0 ? NONE : [...list]);

/** A fresh copy of a spec, its lists allocated right after it (see `IndexedAttachment.spec`). */
function compactCopy(spec: AttachmentSpec): AttachmentSpec {
  return {
    policy: spec.policy,
    ...(spec.scope === undefined ? {} : { scope: spec.scope }),
    teams: listCopy(spec.teams),
    keys: listCopy(spec.keys),
    models: listCopy(spec.models),
    tags: listCopy(spec.tags),
    priority: spec.priority,
  };
}

/**
 * One string object per guardrail name across the index: requests merge the guardrail lists of
 * several policies, and equal names that are one object compare at once and share cache lines.
 */
function internNames(names: readonly string[], pool: Map<string, string>): string[] {
  return names.map((name) => {
    const known = pool.get(name);
    if (known !== undefined) return known;
    pool.set(name, name);
    return name;
  });
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameNames(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const name of b.keys()) if (!a.has(name)) return false;
  return true;
}

function collect(index: PolicyIndex, b: Buckets, value: string, out: IndexedAttachment[]): void {
  const found =
    b.byValue.get(value) ??
    remember(
      b.byValue,
      value,
      lookup(b, value).map((rank) => index.attachments[rank] as IndexedAttachment),
    );
  for (const a of found) out.push(a);
}

function lookup(b: Buckets, value: string): number[] {
  const found: number[] = [...(b.exact.get(value) ?? [])];
  for (const length of b.prefixLengths) {
    if (length > value.length) break;
    const ranks = b.prefix.get(value.slice(0, length));
    if (ranks !== undefined) found.push(...ranks);
  }
  return found.sort((x, y) => x - y);
}

/**
 * The attachments that may match `ctx`, ascending rank and unique: every attachment that matches
 * is among them (a superset; verify each with `scopeMatches`). Dangling attachments are never
 * candidates. Written into `into` when given (its content is replaced).
 */
export function candidates(
  index: PolicyIndex,
  ctx: RequestContext,
  into: IndexedAttachment[] = [],
): IndexedAttachment[] {
  const out = into;
  out.length = 0;
  for (const a of index.alwaysCandidates) out.push(a);
  const { buckets } = index;
  for (const dim of ['teams', 'keys', 'models'] as const) {
    const value = contextValue(dim, ctx);
    if (value !== null && value !== undefined) collect(index, buckets[dim], value, out);
  }
  if (ctx.tags) for (const tag of ctx.tags) collect(index, buckets.tags, tag, out);
  if (out.length === index.alwaysCandidates.length) return out; // already sorted and unique
  // A handful of items from a few sorted runs: an insertion sort, dropping repeats, in place.
  let n = 0;
  for (let i = 0; i < out.length; i++) {
    const a = out[i] as IndexedAttachment;
    let j = n;
    while (j > 0 && (out[j - 1] as IndexedAttachment).rank > a.rank) j--;
    if (j > 0 && out[j - 1] === a) continue;
    for (let k = n; k > j; k--) out[k] = out[k - 1] as IndexedAttachment;
    out[j] = a;
    n++;
  }
  out.length = n;
  return out;
}

/**
 * One policy's guardrails (GET /policies/{id}/resolved-guardrails): without a context every level
 * applies; with one, levels whose condition fails are skipped (reference 2.6). Undefined when the
 * policy is not in the index. Sorted.
 */
export function policyGuardrails(
  index: PolicyIndex,
  name: string,
  ctx?: RequestContext,
): readonly string[] | undefined {
  const policy = index.policies.get(name);
  if (policy === undefined) return undefined;
  if (ctx === undefined) return policy.guardrails;
  if (policy.ancestorsUnconditional && policy.condition.test(ctx.model)) return policy.guardrails;
  return chainGuardrails(policy, ctx.model);
}

/** Chains whose answers by model are remembered; past that, answers are computed each time. */
const BY_MODEL_LIMIT = 64;

/**
 * `resolvePolicyGuardrails(policy.chain, ctx)` for any context with this model (conditions only
 * read the model), remembered for the first `BY_MODEL_LIMIT` models of each policy that has a
 * memo. Sorted.
 */
export function chainGuardrails(policy: IndexedPolicy, model: string | null | undefined): readonly string[] {
  const memo = policy.byModel;
  if (model === null || model === undefined || memo === undefined)
    return resolvePolicyGuardrails(policy.chain, { model });
  let guardrails = memo.get(model);
  if (guardrails === undefined) {
    guardrails = resolvePolicyGuardrails(policy.chain, { model });
    if (memo.size < BY_MODEL_LIMIT) memo.set(model, guardrails);
  }
  return guardrails;
}

export type IndexEntryLevel = {
  readonly version: VersionRef;
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly condition?: Condition;
};

export type IndexEntryPolicy = {
  readonly name: string;
  /** Root first, ending with the policy itself. */
  readonly chain: readonly IndexEntryLevel[];
  /** Present when no level has a condition: the policy's guardrails for every context. */
  readonly guardrails?: readonly string[];
};

/** The index content for `/v1/snapshot`: enough for a proxy to evaluate locally. */
export type IndexEntries = {
  /** Sorted by name. */
  readonly policies: readonly IndexEntryPolicy[];
  /** In rank order (priority desc, policy name, attachment id), dangling ones included. */
  readonly attachments: readonly AttachmentRecord[];
};

/** Lists the index content. Deterministic: the same index always gives deep-equal entries. */
export function indexEntries(index: PolicyIndex): IndexEntries {
  const policies = [...index.policies.values()].map((p): IndexEntryPolicy => {
    const chain = p.chain.map(
      (level): IndexEntryLevel => ({
        version: level.ref,
        add: level.add,
        remove: level.remove,
        ...(level.content.condition?.model === undefined ? {} : { condition: level.content.condition }),
      }),
    );
    const contextFree = p.chain.every((level) => level.condition.always);
    return contextFree ? { name: p.name, chain, guardrails: p.guardrails } : { name: p.name, chain };
  });
  return { policies, attachments: index.attachments.map((a) => a.record) };
}
