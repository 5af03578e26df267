/**
 * Building the resolution index (see `PolicyIndex`): once per change, at reconcile time, and
 * incrementally from the previous index when one is given.
 */
import { byText, sameItems } from './compare.ts';
import { compileCondition } from './condition.ts';
import { floorGuardrailNames, sameFloor } from './floor.ts';
import type {
  Anchor,
  Buckets,
  ChainLevel,
  IndexedAttachment,
  IndexedPolicy,
  PolicyIndex,
  PolicyIndexInput,
} from './index-types.ts';
import { inheritanceChain, resolvePolicyGuardrails } from './inherit.ts';
import { DIMENSIONS, type Dimension, isGlobal } from './match.ts';
import type {
  AttachmentRecord,
  AttachmentSpec,
  FloorGuardrail,
  PolicyContent,
  PolicyVersion,
  Resolution,
  VersionRef,
} from './types.ts';

function versionRef(v: PolicyVersion): VersionRef {
  return { policyName: v.policyName, policyId: v.policyId, versionNumber: v.versionNumber, digest: v.digest };
}

/** What an index was built from, so that the next build can re-use what did not change. */
type BuiltFrom = {
  readonly versions: ReadonlyMap<string, PolicyVersion>;
  readonly attachments: readonly AttachmentRecord[];
};
const builtFrom = new WeakMap<PolicyIndex, BuiltFrom>();
/** The floor fields each index was built with (the mandatory set is not on the index itself). */
const builtFloors = new WeakMap<PolicyIndex, BuiltFloor>();

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
  mandatory: ReadonlySet<string>,
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
      guardrails: resolvePolicyGuardrails(chain, undefined, mandatory),
      ancestorsUnconditional,
      byModel: ancestorsUnconditional ? undefined : new Map(),
      mandatory,
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
  const floor = floorOf(input.floor ?? NO_FLOOR, previous);
  // Each policy's guardrails depend on the floor (its removals of mandatory ones are ignored).
  const from = previous && sameFloor(previous.floor, floor.floor) ? builtFrom.get(previous) : undefined;
  const policies = indexPolicies(
    versions,
    previous && from ? { index: previous, from } : undefined,
    floor.mandatory,
  );
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
      ...floorFields(floor),
    };
    builtFrom.set(index, built);
    builtFloors.set(index, floor);
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
      byValue: { entries: new Map(), bytes: 0 },
    };
  });
  const alwaysCandidates = alwaysRanks.map((rank) => attachments[rank] as IndexedAttachment);
  const index = { policies, attachments, alwaysCandidates, buckets, ...floorFields(floor) };
  builtFrom.set(index, built);
  builtFloors.set(index, floor);
  return index;
}

const NO_FLOOR: readonly FloorGuardrail[] = Object.freeze([]);
const NOTHING: ReadonlySet<string> = new Set();

type BuiltFloor = {
  readonly floor: readonly FloorGuardrail[];
  readonly floorGuardrails: readonly string[];
  readonly floorOnly: Resolution;
  readonly mandatory: ReadonlySet<string>;
};

const floorFields = ({ floor, floorGuardrails, floorOnly }: BuiltFloor) => ({
  floor,
  floorGuardrails,
  floorOnly,
});

/** The floor fields of an index: the previous index's objects when the floor is the same. */
function floorOf(floor: readonly FloorGuardrail[], previous: PolicyIndex | undefined): BuiltFloor {
  const before = previous && builtFloors.get(previous);
  if (before && sameFloor(before.floor, floor)) return before;
  const floorGuardrails = floorGuardrailNames(floor);
  return {
    floor,
    floorGuardrails,
    floorOnly: { effectiveGuardrails: floorGuardrails, matchedPolicies: [], floor },
    mandatory: floor.length === 0 ? NOTHING : new Set(floorGuardrails),
  };
}

/** The same buckets with empty value memos: the memos hold the attachment objects of one index. */
function withFreshMemo(buckets: Readonly<Record<Dimension, Buckets>>): Record<Dimension, Buckets> {
  const out = {} as Record<Dimension, Buckets>;
  for (const dim of DIMENSIONS) out[dim] = { ...buckets[dim], byValue: { entries: new Map(), bytes: 0 } };
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

function sameNames(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const name of b.keys()) if (!a.has(name)) return false;
  return true;
}
