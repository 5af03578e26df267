/**
 * The version store in the cluster itself: every replica sees the same histories, and
 * nothing that matters lives in one pod. It holds the histories of declared policies only (in
 * Kubernetes mode the HTTP API does not write; attachments are PolicyAttachment objects).
 *
 * Layout: every history is one ConfigMap in the operator's own namespace (`namespace`), so the
 * operator needs no write access to core objects anywhere else. One per (policy namespace, policy
 * name), named `railyard-policy-<namespace>.<name>` (a prefix and a hash when that is too long or
 * not a valid name), labelled `app.kubernetes.io/managed-by: railyard`, `railyard.dev/store:
 * history`, `railyard.dev/policy-namespace: <namespace>`, `railyard.dev/policy: <name>` (hashed
 * past 63 characters; the full name is the `railyard.dev/policy-name` annotation) and
 * `railyard.dev/production-version: "<N>"` (absent without a production version). Its
 * `history.json` holds that name's `PolicyHistory`. A promotion rewrites that one object with a
 * resourceVersion precondition, so the production version of a name changes atomically: never
 * zero or two at once.
 *
 * Size: `fit` applies the retention rule (production, latest, published and the newest drafts)
 * and the API server's 1 MiB limit with a margin, before anything is written (see
 * `fitHistory`); `save` never sends a ConfigMap that would be refused for its size.
 *
 * Optimistic concurrency: the store remembers, per object, the resourceVersion and a digest of
 * the content that the registry last saw (through `load` or `state`). `save` writes only what
 * differs from that, each write conditional on that resourceVersion: when another replica wrote in
 * between, the write fails with a `StoreConflict` (nothing is overwritten) and the caller reloads
 * and retries.
 *
 * Cost and memory follow change: a history is immutable, so its ConfigMap, size and digest are
 * computed once per history object, and a save compares one digest per unchanged history. The
 * store keeps digests, not texts, and a history it wrote is the registry's own object, not a
 * parsed copy: the informer's cached ConfigMap is the only other copy in memory.
 */
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { HistoryFit, PolicyHistory } from '../../engine/index.ts';
import { FIELD_MANAGER, type InformerOptions, kubeError, RestartingInformer } from '../../kube/index.ts';
import { StoreConflict, StoreError, type StoreState, type VersionStore } from '../types.ts';
import {
  dataBytes,
  fingerprint,
  historyConfigMap,
  POLICY_NAMESPACE_LABEL,
  parseConfigMap,
  STORE_SELECTOR,
  slimConfigMap,
} from './history-configmap.ts';
import {
  CONFIGMAP_DATA_LIMIT,
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_DRAFTS,
  fitHistory,
} from './history-fit.ts';

type Entry = {
  readonly rv: string;
  /** `fingerprint` of the stored ConfigMap. */
  readonly digest: string;
  readonly history: PolicyHistory;
};

/** What `save` sends for one history, worked out once per history object. */
type Planned = {
  readonly key: string;
  readonly cm: ReturnType<typeof historyConfigMap>;
  readonly bytes: number;
  readonly digest: string;
};

/** Writes in flight at once while saving (a first sync creates one ConfigMap per policy). */
const WRITES_IN_FLIGHT = 8;

export type ClusterStoreOptions = {
  readonly kubeConfig: KubeConfig;
  /** Where the history ConfigMaps live: the operator's own namespace. */
  readonly namespace: string;
  /** The policy namespaces whose histories this store holds; empty means all. */
  readonly policyNamespaces?: readonly string[];
  /** Retention: drafts kept besides the production, latest and published versions (default 10). */
  readonly drafts?: number;
  /** The most bytes one `history.json` may take (default: 1 MiB less 64 KiB). */
  readonly maxHistoryBytes?: number;
  /** Informer tuning (backoff, resync) for the ConfigMap watch. */
  readonly informer?: Partial<Pick<InformerOptions<V1ConfigMap>, 'backoff' | 'resyncMs' | 'onError'>>;
  /** Told about ConfigMaps that cannot be read (they are skipped). */
  readonly onInvalid?: (message: string) => void;
  /** Told about every failed write (for a metric); the error is also thrown to the caller. */
  readonly onWriteError?: (verb: 'create' | 'update' | 'delete', error: unknown) => void;
};

/** How many past resourceVersions of one object are remembered as "already seen". */
const KNOWN_RVS = 16;

export class ClusterStore implements VersionStore {
  readonly #o: ClusterStoreOptions;
  readonly #api: CoreV1Api;
  readonly #informer: RestartingInformer<V1ConfigMap>;
  /** Latest known content of every stored ConfigMap, keyed `namespace/name`. */
  readonly #entries = new Map<string, Entry>();
  /** What the registry last saw (resourceVersion and content digest): the base of its next save. */
  #seen = new Map<string, { rv: string; digest: string }>();
  /** Per history object (immutable), its ConfigMap as `save` would send it. */
  readonly #planned = new WeakMap<PolicyHistory, Planned>();
  /** resourceVersions of each key this store has held: the informer echoing them is not news. */
  readonly #known = new Map<string, string[]>();
  /** resourceVersions the informer has shown per key: a missing object with one of those was deleted. */
  readonly #observed = new Map<string, Set<string>>();
  readonly #listeners = new Set<() => void>();
  /** Keys with a write of ours in flight, and those the informer showed meanwhile (see `#writing`). */
  readonly #inFlight = new Set<string>();
  readonly #deferred = new Set<string>();
  #tail: Promise<unknown> = Promise.resolve();
  #loaded = false;

  /** Stores its arguments only; `start` watches. */
  constructor(o: ClusterStoreOptions) {
    this.#o = o;
    this.#api = o.kubeConfig.makeApiClient(CoreV1Api);
    const only = o.policyNamespaces ?? [];
    const labelSelector =
      only.length === 0
        ? STORE_SELECTOR
        : `${STORE_SELECTOR},${POLICY_NAMESPACE_LABEL} in (${only.join(',')})`;
    this.#informer = new RestartingInformer<V1ConfigMap>({
      ...o.informer,
      transform: slimConfigMap,
      kubeConfig: o.kubeConfig,
      path: `/api/v1/namespaces/${o.namespace}/configmaps`,
      labelSelector,
      list: () => this.#api.listNamespacedConfigMap({ namespace: o.namespace, labelSelector }),
    });
  }

  /** Starts watching the stored ConfigMaps; resolves after the first attempt (see `RestartingInformer.start`). */
  async start(signal: AbortSignal): Promise<void> {
    this.#informer.onChange((ref) => this.#absorb(ref.name));
    await this.#informer.start(signal);
  }

  async stop(): Promise<void> {
    await this.#informer.stop();
  }

  /** True while the ConfigMap watch is listed and watching. */
  healthy(): boolean {
    return this.#informer.healthy();
  }

  /**
   * What of `history` this store can keep (see `fitHistory`): the registry gives a pass this, so
   * that a history that cannot be stored is reported on its policy instead of failing every
   * write. Deterministic.
   */
  readonly fit = (history: PolicyHistory): HistoryFit =>
    fitHistory(history, {
      drafts: this.#o.drafts ?? DEFAULT_HISTORY_DRAFTS,
      maxBytes: this.#o.maxHistoryBytes ?? DEFAULT_HISTORY_BYTES,
    });

  /** Registers a listener for changes written by someone else (another replica, kubectl). */
  onForeignChange(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /**
   * The stored state, once the ConfigMap watch has listed (waits for it, retrying in the
   * background). Records what the registry now knows as the base of its next `save`.
   */
  async load(): Promise<StoreState> {
    while (!this.#loaded) {
      if (this.healthy()) {
        for (const cm of this.#informer.list()) if (!this.#isOwn(cm)) this.#take(cm);
        this.#loaded = true;
      } else await new Promise((r) => setTimeout(r, 50));
    }
    return this.#current();
  }

  /** What the store holds now, as the informer sees it. */
  state(): StoreState {
    return this.#current();
  }

  /**
   * Writes what differs from what the registry last saw: creates, replaces (with that
   * resourceVersion as precondition) and deletes ConfigMaps, one at a time, saves in call order.
   * Throws `StoreConflict` when another writer got there first (what was written before stays
   * written), `StoreError` for any other failure, and, before writing anything, for a state with
   * attachments or with a history too large for one ConfigMap (`fit` first).
   */
  save(state: StoreState): Promise<void> {
    const run = this.#tail.then(() => this.#save(state));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #current(): StoreState {
    const policies: PolicyHistory[] = [];
    const seen = new Map<string, { rv: string; digest: string }>();
    for (const [key, e] of this.#entries) {
      policies.push(e.history);
      seen.set(key, { rv: e.rv, digest: e.digest });
    }
    this.#seen = seen;
    return { policies, attachments: [] };
  }

  async #save(state: StoreState): Promise<void> {
    if (state.attachments.length > 0) {
      throw new StoreError(
        'the cluster store keeps the histories of declared policies only; attach a policy with a PolicyAttachment object',
      );
    }
    const namespace = this.#o.namespace;
    const desired = new Map<string, { plan: Planned; history: PolicyHistory }>();
    for (const history of state.policies) {
      const plan = this.#plan(history);
      if (plan.bytes > CONFIGMAP_DATA_LIMIT) {
        throw new StoreError(
          `ConfigMap ${plan.key}: the history takes ${plan.bytes} bytes, over the API server's limit of ${CONFIGMAP_DATA_LIMIT}; not written`,
        );
      }
      desired.set(plan.key, { plan, history });
    }
    // Each write resolves with what to record once it is done; records are made in call order
    // (a load lists the histories in the order they were saved).
    const writes: (() => Promise<() => void>)[] = [];
    for (const [key, { plan, history }] of desired) {
      const base = this.#seen.get(key);
      if (base?.digest === plan.digest) continue;
      const { cm } = plan;
      const { name } = cm.metadata;
      const body: V1ConfigMap = {
        ...cm,
        metadata: { ...cm.metadata, ...(base ? { resourceVersion: base.rv } : {}) },
      };
      writes.push(async () => {
        const rv = await this.#writing(key, async () => {
          const written = await this.#write(key, base ? 'update' : 'create', () =>
            base
              ? this.#api.replaceNamespacedConfigMap({ name, namespace, body, fieldManager: FIELD_MANAGER })
              : this.#api.createNamespacedConfigMap({ namespace, body, fieldManager: FIELD_MANAGER }),
          );
          const rv = written.metadata?.resourceVersion ?? '';
          this.#know(key, rv); // at once: the informer's echo of this write is not news
          return rv;
        });
        return () => this.#record(key, rv, plan.digest, history);
      });
    }
    for (const [key, base] of [...this.#seen]) {
      if (desired.has(key)) continue;
      const [namespace = '', name = ''] = key.split('/');
      writes.push(async () => {
        await this.#writing(key, async () => {
          await this.#write(key, 'delete', () =>
            this.#api.deleteNamespacedConfigMap({
              name,
              namespace,
              body: { preconditions: { resourceVersion: base.rv } },
            }),
          );
          this.#seen.delete(key);
          this.#entries.delete(key);
        });
        return () => {};
      });
    }
    await inParallel(writes, WRITES_IN_FLIGHT);
  }

  /**
   * Runs a write of `key`. The informer's echo of a write can come before the write's answer:
   * until the answer is in (and its resourceVersion known as ours), what the informer shows of
   * `key` is looked at only afterwards, so an echo is never taken for another writer's change.
   */
  async #writing<T>(key: string, write: () => Promise<T>): Promise<T> {
    this.#inFlight.add(key);
    try {
      return await write();
    } finally {
      this.#inFlight.delete(key);
      if (this.#deferred.delete(key)) this.#absorb(key.slice(key.indexOf('/') + 1));
    }
  }

  /** The ConfigMap of `history` with its key, size and digest: computed once per history object. */
  #plan(history: PolicyHistory): Planned {
    let plan = this.#planned.get(history);
    if (plan === undefined) {
      const cm = historyConfigMap(this.#o.namespace, history);
      plan = {
        key: `${this.#o.namespace}/${cm.metadata.name}`,
        cm,
        bytes: dataBytes(cm.data),
        digest: fingerprint(cm.metadata.labels, cm.data),
      };
      this.#planned.set(history, plan);
    }
    return plan;
  }

  async #write<T>(key: string, verb: 'create' | 'update' | 'delete', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      this.#o.onWriteError?.(verb, e);
      const err = kubeError(e);
      if (err.code === 409 || err.code === 404) {
        throw new StoreConflict(
          `ConfigMap ${key} was changed by another writer (${err.reason ?? err.code}: ${err.message}); reload and retry`,
        );
      }
      throw new StoreError(`ConfigMap ${key}: ${err.message} (HTTP ${err.code}); retry`);
    }
  }

  /** Records `cm` as the latest content of its key (also what the registry has seen: it wrote it or loads it). */
  #take(cm: V1ConfigMap): boolean {
    const key = `${cm.metadata?.namespace}/${cm.metadata?.name}`;
    const rv = cm.metadata?.resourceVersion ?? '';
    const parsed = parseConfigMap(cm);
    if ('error' in parsed) {
      this.#o.onInvalid?.(parsed.error);
      return false;
    }
    this.#record(key, rv, parsed.digest, parsed.history);
    return true;
  }

  /** `history` is stored under `key` at `rv` (and the registry knows it). */
  #record(key: string, rv: string, digest: string, history: PolicyHistory): void {
    this.#entries.set(key, { rv, digest, history });
    this.#seen.set(key, { rv, digest });
    this.#know(key, rv);
  }

  /**
   * Whether `cm` is a version this store wrote (or deleted) itself: the informer may still show it
   * after a later write of ours, and `#entries` already holds what followed.
   */
  #isOwn(cm: V1ConfigMap): boolean {
    const key = `${cm.metadata?.namespace}/${cm.metadata?.name}`;
    return this.#known.get(key)?.includes(cm.metadata?.resourceVersion ?? '') ?? false;
  }

  #know(key: string, rv: string): void {
    const list = this.#known.get(key) ?? [];
    if (!list.includes(rv)) list.push(rv);
    if (list.length > KNOWN_RVS) list.shift();
    this.#known.set(key, list);
  }

  /** The informer saw `name` change: take foreign writes and deletions, ignore echoes of our own. */
  #absorb(name: string): void {
    if (!this.#loaded) return;
    const namespace = this.#o.namespace;
    const key = `${namespace}/${name}`;
    if (this.#inFlight.has(key)) {
      this.#deferred.add(key);
      return;
    }
    const cm = this.#informer.get(name, namespace);
    const entry = this.#entries.get(key);
    if (cm === undefined) {
      if (entry === undefined) {
        // Gone, and nothing of ours is stored there: forget its versions (names come and go).
        this.#known.delete(key);
        this.#observed.delete(key);
      } else if (this.#observed.get(key)?.has(entry.rv)) {
        this.#entries.delete(key);
        this.#observed.delete(key);
        this.#known.delete(key);
        this.#notify();
      }
      return;
    }
    const rv = cm.metadata?.resourceVersion ?? '';
    const observed = this.#observed.get(key) ?? new Set<string>();
    if (observed.size >= KNOWN_RVS) observed.clear();
    observed.add(rv);
    this.#observed.set(key, observed);
    if (this.#known.get(key)?.includes(rv)) return;
    const parsed = parseConfigMap(cm);
    this.#know(key, rv);
    if ('error' in parsed) {
      this.#o.onInvalid?.(parsed.error);
      return;
    }
    this.#entries.set(key, { rv, ...parsed });
    this.#notify();
  }

  #notify(): void {
    for (const cb of this.#listeners) cb();
  }
}

/**
 * Runs every task with at most `limit` in flight. Once all have settled, runs the commit each
 * successful task resolved with, in task order, then rejects with the first failure in task
 * order, if any.
 */
async function inParallel(tasks: readonly (() => Promise<() => void>)[], limit: number): Promise<void> {
  const results: PromiseSettledResult<() => void>[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<() => void>)().then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  for (const r of results) if (r.status === 'fulfilled') r.value();
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
