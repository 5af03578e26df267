import { createHash } from 'node:crypto';
import type { ObjectStatus, RejectedDocument } from '../engine/index.ts';
import {
  type AttachmentRecord,
  buildPolicyIndex,
  byText,
  type FloorGuardrail,
  type FloorResource,
  floorsByNamespace,
  type GuardrailSpec,
  type Labels,
  type PolicyHistory,
  type PolicyIndex,
  type PolicyVersion,
  productionVersion,
  resourceKey,
  type ShadowTarget,
  sameFloor,
  sameItems,
} from '../engine/index.ts';

/** Everything one namespace serves: built once per change, never mutated, swapped whole. */
export type NamespaceView = {
  readonly namespace: string;
  readonly index: PolicyIndex;
  /** Every policy name with its whole history, sorted by name. */
  readonly histories: readonly PolicyHistory[];
  /** Declared and API-created attachments, sorted by id. */
  readonly attachments: readonly AttachmentRecord[];
  readonly guardrails: ReadonlyMap<string, GuardrailSpec>;
  /** The namespace's floor: its mandatory guardrails and the floors that make them so (also in `index`). */
  readonly floor: readonly FloorGuardrail[];
  /** Versions in shadow here, by policy name; enforcement also runs them, off the request path. */
  readonly shadows: readonly ShadowTarget[];
};

export type Snapshot = {
  /**
   * A digest of what is served (every namespace's histories, attachments and guardrails): equal
   * states give equal revisions on every replica, so ETags and `/v1/snapshot?revision=` agree
   * between replicas. Opaque: compare for equality only. A 48-bit integer.
   */
  readonly revision: number;
  /** This process's count of snapshots: orders snapshots locally (the revision does not). */
  readonly serial: number;
  readonly namespaces: ReadonlyMap<string, NamespaceView>;
  /**
   * The one namespace a request that names none is answered in, when there is one: the only
   * namespace with objects of its own (a namespace served only because a floor selects it does
   * not count), else the only namespace served; `null` when there are several (then the default
   * namespace). Computed once per snapshot. Undefined in hand-built snapshots: see `chooseNamespace`.
   */
  readonly soleNamespace?: NamespaceView | null;
  /** Every declared object with its conditions, sorted by key (on first read). */
  readonly statuses: readonly ObjectStatus[];
  /**
   * The same statuses by `resourceKey`, unsorted. A status is immutable and re-used from
   * snapshot to snapshot while nothing it says can have changed: comparing identities finds the
   * keys a pass changed without comparing contents.
   */
  readonly statusByKey: ReadonlyMap<string, ObjectStatus>;
  /** Documents that could not even be named (YAML syntax errors, no kind or name), with where. */
  readonly unreadable: readonly RejectedDocument[];
};

export type SnapshotInput = {
  readonly histories: Iterable<PolicyHistory>;
  readonly attachments: Iterable<AttachmentRecord>;
  readonly guardrails: Iterable<{
    readonly namespace: string;
    readonly name: string;
    readonly spec: GuardrailSpec;
  }>;
  /** By `resourceKey`; the map is kept as it is (it must not change afterwards). */
  readonly statuses: ReadonlyMap<string, ObjectStatus> | Iterable<ObjectStatus>;
  readonly unreadable?: Iterable<RejectedDocument>;
  /** The floors in force; the namespaces they select become served, with the floor alone if nothing else. */
  readonly floors?: readonly FloorResource[];
  /** The namespaces' labels (Kubernetes mode), for floor selectors. */
  readonly namespaceLabels?: ReadonlyMap<string, Labels>;
  /** Versions in shadow (declared with spec.shadow, or through the API). */
  readonly shadows?: readonly ShadowTarget[];
};

const NO_FLOOR: readonly FloorGuardrail[] = Object.freeze([]);
const NO_FLOORS: ReadonlyMap<string, readonly FloorGuardrail[]> = new Map();
const NO_SHADOWS: ShadowTarget[] = [];

/**
 * Groups the registry by namespace and builds each namespace's resolution index from the
 * production versions of its active policies and the namespace's floor (`floorsByNamespace` over
 * the namespaces served and, in Kubernetes mode, those that exist; a namespace a floor selects is
 * served even with nothing else in it). Namespaces whose inputs are identical (same objects, an
 * equal floor) to the previous snapshot's re-use its index; the others rebuild it incrementally
 * from the previous one (see `buildPolicyIndex`).
 */
export function buildSnapshot(serial: number, input: SnapshotInput, previous?: Snapshot): Snapshot {
  const revision = new RevisionDigest();
  const groups = new Map<
    string,
    { histories: PolicyHistory[]; attachments: AttachmentRecord[]; guardrails: Map<string, GuardrailSpec> }
  >();
  const group = (ns: string) => {
    let g = groups.get(ns);
    if (!g) {
      g = { histories: [], attachments: [], guardrails: new Map() };
      groups.set(ns, g);
    }
    return g;
  };
  for (const h of input.histories) {
    group(h.namespace).histories.push(h);
    revision.add(h, 'history');
  }
  for (const a of input.attachments) {
    group(a.namespace).attachments.push(a);
    revision.add(a, 'attachment');
  }
  for (const g of input.guardrails) {
    group(g.namespace).guardrails.set(g.name, g.spec);
    revision.add(g, 'guardrail');
  }
  const floors =
    input.floors && input.floors.length > 0
      ? floorsByNamespace(
          input.floors,
          [...groups.keys(), ...(input.namespaceLabels?.keys() ?? [])],
          input.namespaceLabels,
        )
      : NO_FLOORS;
  for (const ns of floors.keys()) group(ns);
  const shadows = new Map<string, ShadowTarget[]>();
  for (const t of input.shadows ?? []) {
    const list = shadows.get(t.namespace);
    if (list) list.push(t);
    else shadows.set(t.namespace, [t]);
  }

  const namespaces = new Map<string, NamespaceView>();
  const owning: NamespaceView[] = [];
  for (const ns of [...groups.keys()].sort(byText)) {
    const g = groups.get(ns);
    if (!g) continue;
    const before = previous?.namespaces.get(ns);
    const histories = sortBy(g.histories, (h) => h.name, before?.histories);
    const attachments = sortBy(g.attachments, (a) => a.attachmentId, before?.attachments);
    const computed = floors.get(ns) ?? NO_FLOOR;
    const floor = before !== undefined && sameFloor(before.floor, computed) ? before.floor : computed;
    // Each floor array belongs to one namespace (an equal one is re-used only for the same one).
    if (floor.length > 0) revision.addText(floor, () => `floor\0${ns}\0${JSON.stringify(floor)}`);
    const unchanged =
      before !== undefined &&
      sameItems(before.histories, histories) &&
      sameItems(before.attachments, attachments) &&
      before.floor === floor;
    const index = unchanged ? before.index : namespaceIndex({ histories, attachments, floor }, before?.index);
    const shadowed = (shadows.get(ns) ?? NO_SHADOWS).sort((a, b) => byText(a.policy, b.policy));
    const view = {
      namespace: ns,
      index,
      histories,
      attachments,
      guardrails: g.guardrails,
      floor,
      shadows: shadowed,
    };
    namespaces.set(ns, view);
    if (histories.length > 0 || attachments.length > 0 || g.guardrails.size > 0) owning.push(view);
  }
  let byKey =
    input.statuses instanceof Map ? (input.statuses as ReadonlyMap<string, ObjectStatus>) : undefined;
  const statuses = [...(byKey ? byKey.values() : (input.statuses as Iterable<ObjectStatus>))];
  let sorted = false;
  const sole =
    owning.length === 1
      ? (owning[0] as NamespaceView)
      : owning.length === 0 && namespaces.size === 1
        ? (namespaces.values().next().value as NamespaceView)
        : null;
  return {
    revision: revision.value(),
    serial,
    namespaces,
    soleNamespace: sole,
    // Sorting tens of thousands of statuses was most of a snapshot's cost, on the path from an
    // edit to its answer; the readers that want them (`/v1/status`, metrics scrapes, the CLI)
    // come later, and the first one sorts them once for this snapshot.
    get statuses() {
      if (!sorted) sortBy(statuses, (s) => `${s.key.namespace}/${s.key.kind}/${s.key.name}`);
      sorted = true;
      return statuses;
    },
    get statusByKey() {
      byKey ??= new Map(statuses.map((s) => [resourceKey(s.key), s]));
      return byKey;
    },
    unreadable: [...(input.unreadable ?? [])],
  };
}

/**
 * A namespace's resolution index: the production versions of its active policies (with
 * `replacing`'s version in place of its policy's, for a shadow), its attachments and its floor;
 * built incrementally from `previous`, an index of the same namespace, when given.
 */
export function namespaceIndex(
  parts: Pick<NamespaceView, 'histories' | 'attachments' | 'floor'>,
  previous?: PolicyIndex,
  replacing?: ShadowTarget,
): PolicyIndex {
  const policies: { version: PolicyVersion }[] = [];
  for (const h of parts.histories) {
    if (h.name === replacing?.policy) continue;
    const production = h.active ? productionVersion(h) : undefined;
    if (production) policies.push({ version: production });
  }
  if (replacing) policies.push({ version: replacing.version });
  return buildPolicyIndex({ policies, attachments: parts.attachments, floor: parts.floor }, previous);
}

/**
 * Sorts `items` in place by a string key computed once per item, and returns it. Input already in
 * order costs one comparison per item. Otherwise the order of `previous` (the same kind of items,
 * sorted the same way) is taken when it holds the same keys: an edit replaces a few objects and
 * keeps every name, and looking each one up costs far less than sorting tens of thousands of
 * strings again.
 */
function sortBy<T>(items: T[], keyOf: (item: T) => string, previous?: readonly T[]): T[] {
  const keys = items.map(keyOf);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = (keys[i - 1] as string) <= (keys[i] as string);
  if (sorted) return items;
  const reordered = previous && inOrderOf(previous, items, keys, keyOf);
  if (reordered) return reordered;
  const order = keys.map((_, i) => i).sort((a, b) => byText(keys[a] as string, keys[b] as string));
  const copy = items.slice();
  for (let i = 0; i < order.length; i++) items[i] = copy[order[i] as number] as T;
  return items;
}

/** `items` in the order of `previous` by key, or undefined when their keys are not the same set. */
function inOrderOf<T>(
  previous: readonly T[],
  items: readonly T[],
  keys: readonly string[],
  keyOf: (item: T) => string,
): T[] | undefined {
  if (previous.length !== items.length) return undefined;
  const byKey = new Map<string, T>();
  for (let i = 0; i < items.length; i++) byKey.set(keys[i] as string, items[i] as T);
  if (byKey.size !== items.length) return undefined;
  const out: T[] = [];
  for (const p of previous) {
    const item = byKey.get(keyOf(p));
    if (item === undefined) return undefined;
    out.push(item);
  }
  return out;
}

const REVISION_MODULUS = 2 ** 48;

/**
 * Each served object's digest, computed once per object: histories, attachment records and declared
 * guardrails are immutable, and an unchanged one is the same object from snapshot to snapshot.
 */
const objectDigests = new WeakMap<object, number>();

const digest48 = (text: string): number => createHash('sha256').update(text).digest().readUIntBE(0, 6);

/**
 * The revision of a set of served objects: the sum, modulo 2^48, of one digest per object. A sum
 * does not depend on order, and each object's digest is kept with the object, so a swap costs one
 * addition per object, not a serialisation of everything.
 */
class RevisionDigest {
  #sum = 0;

  add(item: object, kind: string): void {
    let d = objectDigests.get(item);
    if (d === undefined) {
      d = digest48(`${kind}\0${JSON.stringify(item)}`);
      objectDigests.set(item, d);
    }
    this.#sum = (this.#sum + d) % REVISION_MODULUS;
  }

  /** Adds a served fact described by `text` (a namespace's floor), digested once per `item`. */
  addText(item: object, text: () => string): void {
    let d = objectDigests.get(item);
    if (d === undefined) {
      d = digest48(text());
      objectDigests.set(item, d);
    }
    this.#sum = (this.#sum + d) % REVISION_MODULUS;
  }

  value(): number {
    return this.#sum;
  }
}
