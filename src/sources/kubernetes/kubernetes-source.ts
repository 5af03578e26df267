/**
 * The Kubernetes source: informers on the namespaced railyard.dev kinds, in each watched
 * namespace (or all of them), on the cluster-scoped GuardrailFloors, and on the Namespaces
 * themselves (read-only: their labels are what floor selectors read), as a `Source`: every
 * informer event only says "something may have changed", and `view()` then reads the latest state
 * of every cache, never an event's delta, so repeats and relists are harmless. A watch that fails
 * keeps its cache (the last view) while it restarts.
 *
 * An event that cannot change the view (same uid and generation as the object the last view
 * read, not being deleted: a status write, a label; for a Namespace, labels of watched namespaces
 * unchanged) does not call `changed`: the operator's own status writes would otherwise each start
 * a pass over everything. `onObjectChange` listeners still hear of every railyard.dev object's
 * event, with its key.
 *
 * The caches keep only what Railyard reads of an object (`slimObject`, `slimNamespace`): 10,000
 * objects as the API server sends them took most of the operator's heap in their managedFields
 * alone.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Namespace,
} from '@kubernetes/client-node';
import type { DeclaredInput, Labels, RejectedDocument } from '../../engine/index.ts';
import {
  byText,
  CLUSTER_SCOPE,
  isClusterScoped,
  type Key,
  KINDS,
  type Kind,
  type Origin,
  type Resource,
} from '../../engine/index.ts';
import { type InformerOptions, pickMetadata, RestartingInformer } from '../../kube/index.ts';
import { validateDocument } from '../../schema/index.ts';
import type { Source, SourceTrouble } from '../source.ts';

export const GROUP = 'railyard.dev';
export const VERSION = 'v1alpha1';
export const PLURALS: Readonly<Record<Kind, string>> = {
  Policy: 'policies',
  PolicyAttachment: 'policyattachments',
  Guardrail: 'guardrails',
  GuardrailFloor: 'guardrailfloors',
};

/** A railyard.dev object as the informers hold it. */
export type CustomObject = KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };

export type KubernetesSourceOptions = {
  readonly kubeConfig: KubeConfig;
  /** Namespaces to watch; empty means all. */
  readonly namespaces: readonly string[];
  readonly informer?: Partial<Pick<InformerOptions<CustomObject>, 'backoff' | 'resyncMs' | 'onError'>>;
};

type Memo = { readonly uid: string; readonly generation: number | undefined; readonly doc: Checked };
type Checked = { ok: true; resource: Resource } | { ok: false; rejected: RejectedDocument };

export class KubernetesSource implements Source {
  readonly #informers: { kind: Kind; informer: RestartingInformer<CustomObject> }[] = [];
  /** Every Namespace, for the labels floor selectors read (only those watched are used). */
  readonly #namespaces: RestartingInformer<V1Namespace>;
  readonly #watched: ReadonlySet<string> | undefined;
  /** The last labels map handed out: the same object while no namespace or label changed. */
  #labels: { readonly signature: string; readonly map: ReadonlyMap<string, Labels> } | undefined;
  /** Validated documents by key, re-used while uid and generation are unchanged (stable identity). */
  #memo = new Map<string, Memo>();
  readonly #everSynced = new Set<RestartingInformer<KubernetesObject>>();
  readonly #objectListeners = new Set<(key: Key) => void>();
  #unhealthySince: number | undefined;

  /** Stores its arguments only; `start` does the work. */
  constructor(o: KubernetesSourceOptions) {
    const api = o.kubeConfig.makeApiClient(CustomObjectsApi);
    const targets = o.namespaces.length === 0 ? [undefined] : o.namespaces;
    this.#watched = o.namespaces.length === 0 ? undefined : new Set(o.namespaces);
    for (const kind of KINDS) {
      const plural = PLURALS[kind];
      if (isClusterScoped(kind)) {
        const informer = new RestartingInformer<CustomObject>({
          ...o.informer,
          transform: slimObject,
          kubeConfig: o.kubeConfig,
          path: `/apis/${GROUP}/${VERSION}/${plural}`,
          list: () => api.listClusterCustomObject({ group: GROUP, version: VERSION, plural }),
        });
        this.#informers.push({ kind, informer });
        continue;
      }
      for (const namespace of targets) {
        const informer = new RestartingInformer<CustomObject>({
          ...o.informer,
          transform: slimObject,
          kubeConfig: o.kubeConfig,
          path:
            namespace === undefined
              ? `/apis/${GROUP}/${VERSION}/${plural}`
              : `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`,
          list: () =>
            namespace === undefined
              ? api.listCustomObjectForAllNamespaces({
                  group: GROUP,
                  version: VERSION,
                  resourcePlural: plural,
                })
              : api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural }),
        });
        this.#informers.push({ kind, informer });
      }
    }
    const core = o.kubeConfig.makeApiClient(CoreV1Api);
    this.#namespaces = new RestartingInformer<V1Namespace>({
      ...(o.informer as Partial<InformerOptions<V1Namespace>> | undefined),
      transform: slimNamespace,
      kubeConfig: o.kubeConfig,
      path: '/api/v1/namespaces',
      list: () => core.listNamespace(),
    });
  }

  /** Every informer: the railyard.dev kinds', then the Namespaces'. */
  #all(): RestartingInformer<KubernetesObject>[] {
    return [...this.#informers.map(({ informer }) => informer), this.#namespaces];
  }

  /** Starts every informer; resolves after each made its first attempt (failures keep retrying). */
  async start(changed: () => void, signal: AbortSignal): Promise<void> {
    for (const { kind, informer } of this.#informers) {
      informer.onChange((ref) => {
        this.#noteHealth(informer);
        // A cluster-scoped object's ref has namespace '' (CLUSTER_SCOPE), as its key does.
        const key: Key = { kind, namespace: ref.namespace, name: ref.name };
        for (const cb of this.#objectListeners) cb(key);
        if (this.#viewChanges(key, informer.get(ref.name, ref.namespace))) changed();
      });
    }
    this.#namespaces.onChange(() => {
      this.#noteHealth(this.#namespaces);
      const before = this.#labels?.map;
      if (this.#namespaceLabels() !== before) changed();
    });
    await Promise.all(this.#all().map((informer) => informer.start(signal)));
    for (const informer of this.#all()) this.#noteHealth(informer);
    changed();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#all().map((informer) => informer.stop()));
  }

  /**
   * Registers a listener told the key of every object event (status writes included), before
   * `changed`; returns its unsubscribe. Listeners must not throw.
   */
  onObjectChange(cb: (key: Key) => void): () => void {
    this.#objectListeners.add(cb);
    return () => this.#objectListeners.delete(cb);
  }

  /** Whether the next view may differ for `key`, whose cached object is now `obj`. */
  #viewChanges(key: Key, obj: CustomObject | undefined): boolean {
    const meta = obj?.metadata;
    const before = this.#memo.get(`${key.kind}/${key.namespace}/${key.name}`);
    return (
      meta === undefined ||
      before === undefined ||
      meta.deletionTimestamp !== undefined ||
      before.uid !== (meta.uid ?? '') ||
      before.generation !== meta.generation
    );
  }

  /** True once every informer has listed at least once: the caches are a complete view. */
  synced(): boolean {
    for (const informer of this.#all()) {
      this.#noteHealth(informer);
      if (!this.#everSynced.has(informer)) return false;
    }
    return true;
  }

  #noteHealth(informer: RestartingInformer<KubernetesObject>): void {
    if (informer.healthy()) this.#everSynced.add(informer);
  }

  /** Since when an informer has not been listed and watching, with its last error; undefined while all are. */
  trouble(): SourceTrouble | undefined {
    const all = this.#all();
    const failing = all.filter((informer) => !informer.healthy());
    if (failing.length === 0) {
      this.#unhealthySince = undefined;
      return undefined;
    }
    this.#unhealthySince ??= Date.now();
    const first = failing[0]?.stats().lastError;
    return {
      since: this.#unhealthySince,
      message: `${failing.length} of ${all.length} watches of railyard.dev objects and Namespaces are restarting${first ? ` (last error: ${first.message})` : ''}; check that the API server is reachable and the CRDs are installed`,
    };
  }

  /** Restart count over every informer (`informer_restarts_total`). */
  restarts(): number {
    return this.#all().reduce((n, informer) => n + informer.stats().restarts, 0);
  }

  /** The cached object for `key`, or undefined. */
  object(key: Key): CustomObject | undefined {
    for (const { kind, informer } of this.#informers) {
      if (kind !== key.kind) continue;
      const obj = isClusterScoped(kind) ? informer.get(key.name) : informer.get(key.name, key.namespace);
      if (obj) return obj;
    }
    return undefined;
  }

  /**
   * Everything the caches hold, each object through `validateDocument` (the same checks as files):
   * valid ones as resources, the others as rejected documents with key and generation. Objects
   * being deleted are left out. An unchanged object (same uid and generation) gives the same
   * resource object as last time. Never throws.
   */
  view(): DeclaredInput {
    const resources: Resource[] = [];
    const rejected: RejectedDocument[] = [];
    const memo = new Map<string, Memo>();
    for (const { kind, informer } of this.#informers) {
      const cluster = isClusterScoped(kind);
      for (const obj of informer.list()) {
        const meta = obj.metadata ?? {};
        if (meta.deletionTimestamp || !meta.name || (!cluster && !meta.namespace)) continue;
        const namespace = cluster ? CLUSTER_SCOPE : (meta.namespace as string);
        const mk = `${kind}/${namespace}/${meta.name}`;
        const uid = meta.uid ?? '';
        const generation = meta.generation;
        const before = this.#memo.get(mk);
        const checked =
          before && before.uid === uid && before.generation === generation
            ? before.doc
            : check(kind, obj, namespace, meta.name);
        memo.set(mk, { uid, generation, doc: checked });
        if (checked.ok) resources.push(checked.resource);
        else rejected.push(checked.rejected);
      }
    }
    this.#memo = memo;
    return { resources, rejected, namespaceLabels: this.#namespaceLabels() };
  }

  /**
   * The labels of every watched namespace that exists (not being deleted), the same map object as
   * last time when none changed: the pass then knows at a glance that floor selectors select what
   * they did.
   */
  #namespaceLabels(): ReadonlyMap<string, Labels> {
    const entries: [string, Labels][] = [];
    for (const ns of this.#namespaces.list()) {
      const name = ns.metadata?.name;
      if (!name || ns.metadata?.deletionTimestamp) continue;
      if (this.#watched && !this.#watched.has(name)) continue;
      entries.push([name, { ...(ns.metadata?.labels ?? {}) }]);
    }
    entries.sort(([a], [b]) => byText(a, b));
    const signature = JSON.stringify(entries);
    if (this.#labels?.signature !== signature) this.#labels = { signature, map: new Map(entries) };
    return this.#labels.map;
  }
}

/**
 * What the caches keep of an object: apiVersion, kind, spec and status; of its metadata the name,
 * namespace, uid, generation, resourceVersion, creation and deletion times, and of its
 * managedFields only the time of the latest write outside the status subresource (`timesOf`).
 * Labels, annotations (kubectl's last-applied-configuration is a second copy of the spec) and
 * field ownership are dropped. Pure.
 */
export function slimObject(obj: CustomObject): CustomObject {
  const m = obj.metadata ?? {};
  let written: (typeof m.managedFields & object)[number] | undefined;
  for (const entry of m.managedFields ?? []) {
    if (entry.subresource || entry.time === undefined) continue;
    if (written?.time === undefined || new Date(entry.time).getTime() > new Date(written.time).getTime())
      written = entry;
  }
  return {
    ...(obj.apiVersion === undefined ? {} : { apiVersion: obj.apiVersion }),
    ...(obj.kind === undefined ? {} : { kind: obj.kind }),
    metadata: {
      ...pickMetadata(m, [
        'name',
        'namespace',
        'uid',
        'generation',
        'resourceVersion',
        'creationTimestamp',
        'deletionTimestamp',
      ]),
      ...(written?.time === undefined ? {} : { managedFields: [{ time: written.time }] }),
    },
    ...(obj.spec === undefined ? {} : { spec: obj.spec }),
    ...(obj.status === undefined ? {} : { status: obj.status }),
  };
}

/** What the cache keeps of a Namespace: its name, labels and whether it is being deleted. Pure. */
function slimNamespace(ns: V1Namespace): V1Namespace {
  return {
    metadata: pickMetadata(ns.metadata, ['name', 'uid', 'resourceVersion', 'labels', 'deletionTimestamp']),
  };
}

/** One cached object through the schema: only the fields a document has (the server adds the rest). */
function check(kind: Kind, obj: CustomObject, namespace: string, name: string): Checked {
  const generation = obj.metadata?.generation;
  const doc = {
    apiVersion: obj.apiVersion ?? `${GROUP}/${VERSION}`,
    kind: obj.kind ?? kind,
    metadata: {
      name,
      ...(isClusterScoped(kind) ? {} : { namespace }),
      ...(generation === undefined ? {} : { generation }),
    },
    spec: obj.spec,
  };
  const origin: Origin = { kind: 'kubernetes', namespace, name };
  const result = validateDocument(doc, origin, namespace);
  if (result.ok) return { ok: true, resource: { ...result.value, ...timesOf(obj) } };
  const key: Key = { kind, namespace, name };
  return {
    ok: false,
    rejected: { key, origin, ...(generation === undefined ? {} : { generation }), issues: result.issues },
  };
}

/**
 * The object's creation time, and the last time a writer changed it outside the status
 * subresource (from `managedFields`): every replica reads the same times from the same object.
 */
function timesOf(obj: CustomObject): { createdAt?: string; updatedAt?: string } {
  const created = obj.metadata?.creationTimestamp;
  const createdAt = created === undefined ? undefined : new Date(created).toISOString();
  let updated: number | undefined;
  for (const entry of obj.metadata?.managedFields ?? []) {
    if (entry.subresource || entry.time === undefined) continue;
    const t = new Date(entry.time).getTime();
    if (updated === undefined || t > updated) updated = t;
  }
  return {
    ...(createdAt === undefined ? {} : { createdAt }),
    ...(updated === undefined ? {} : { updatedAt: new Date(updated).toISOString() }),
  };
}
