/**
 * The version store in the cluster itself (DESIGN 3): every replica sees the same histories, and
 * nothing that matters lives in one pod.
 *
 * Layout, all ConfigMaps labelled `app.kubernetes.io/managed-by: railyard`:
 * - one per policy name and namespace, `railyard-policy-<name>` (a hashed name when too long),
 *   labelled `railyard.dev/policy: <name>` and `railyard.dev/production-version: "<N>"` (absent
 *   without a production version), whose `history.json` holds that name's whole `PolicyHistory`.
 *   A promotion rewrites that one object with a resourceVersion precondition, so the production
 *   version of a name changes atomically: never zero or two at once.
 * - one per namespace, `railyard-api-attachments`, holding the attachments created through the
 *   HTTP API (`attachments.json`).
 *
 * Optimistic concurrency: the store remembers, per object, the resourceVersion and content that
 * the registry last saw (through `load` or `state`). `save` writes only what differs from that,
 * each write conditional on that resourceVersion: when another replica wrote in between, the write
 * fails with a `StoreConflict` (nothing is overwritten) and the caller reloads and retries.
 */
import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { AttachmentRecord, PolicyHistory } from '../../engine/index.ts';
import { productionVersion } from '../../engine/index.ts';
import { type InformerOptions, kubeError, RestartingInformer } from '../../kube/index.ts';
import { StoreConflict, StoreError, type StoreState, type VersionStore } from '../types.ts';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const STORE_SELECTOR = `${MANAGED_BY}=railyard`;
export const POLICY_LABEL = 'railyard.dev/policy';
export const PRODUCTION_LABEL = 'railyard.dev/production-version';
export const STORE_KIND_LABEL = 'railyard.dev/store';
export const POLICY_NAME_ANNOTATION = 'railyard.dev/policy-name';
export const ATTACHMENTS_CONFIGMAP = 'railyard-api-attachments';
const HISTORY_KEY = 'history.json';
const ATTACHMENTS_KEY = 'attachments.json';
const POLICY_PREFIX = 'railyard-policy-';

const hash = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** What of a policy name can stand in an object name: lowercase, other characters as `-`. */
const dnsPart = (policy: string, max: number): string =>
  policy
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .slice(0, max)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');

/**
 * `railyard-policy-<name>`, or `railyard-policy-<prefix>-<hash>` when that exceeds 253 characters
 * or the policy name is no DNS name (policy names are what proxies know, e.g. `Finance_Baseline`).
 * Pure.
 */
export function historyConfigMapName(policy: string): string {
  const plain = `${POLICY_PREFIX}${policy}`;
  if (plain.length <= 253 && DNS_NAME.test(plain)) return plain;
  const prefix = dnsPart(policy, 200);
  return `${POLICY_PREFIX}${prefix === '' ? '' : `${prefix}-`}${hash(policy, 16)}`;
}

/**
 * A label value for a policy name: the name itself when it is one (63 characters at most, letters,
 * digits, `-_.`), else a prefix and a hash. Pure.
 */
export function policyLabelValue(policy: string): string {
  if (policy.length <= 63 && LABEL_VALUE.test(policy)) return policy;
  const prefix = policy
    .replace(/[^-A-Za-z0-9_.]+/g, '-')
    .slice(0, 46)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return `${prefix === '' ? '' : `${prefix}-`}${hash(policy, 16)}`;
}

type Stored = 'history' | 'api-attachments';

/** What one ConfigMap should hold: built from the state by `desiredObjects`. */
type Desired = {
  readonly stored: Stored;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly data: Record<string, string>;
};

/** The ConfigMaps that represent `state`, keyed `namespace/name`. Deterministic. */
export function desiredObjects(state: StoreState): Map<string, Desired> {
  const out = new Map<string, Desired>();
  for (const h of state.policies) {
    const name = historyConfigMapName(h.name);
    const production = productionVersion(h);
    out.set(`${h.namespace}/${name}`, {
      stored: 'history',
      namespace: h.namespace,
      name,
      labels: {
        [MANAGED_BY]: 'railyard',
        [STORE_KIND_LABEL]: 'history',
        [POLICY_LABEL]: policyLabelValue(h.name),
        ...(production ? { [PRODUCTION_LABEL]: String(production.versionNumber) } : {}),
      },
      annotations: { [POLICY_NAME_ANNOTATION]: h.name },
      data: { [HISTORY_KEY]: JSON.stringify(h) },
    });
  }
  const byNamespace = new Map<string, AttachmentRecord[]>();
  for (const a of state.attachments)
    byNamespace.set(a.namespace, [...(byNamespace.get(a.namespace) ?? []), a]);
  for (const [namespace, records] of byNamespace) {
    records.sort((a, b) => (a.attachmentId < b.attachmentId ? -1 : a.attachmentId > b.attachmentId ? 1 : 0));
    out.set(`${namespace}/${ATTACHMENTS_CONFIGMAP}`, {
      stored: 'api-attachments',
      namespace,
      name: ATTACHMENTS_CONFIGMAP,
      labels: { [MANAGED_BY]: 'railyard', [STORE_KIND_LABEL]: 'api-attachments' },
      annotations: {},
      data: { [ATTACHMENTS_KEY]: JSON.stringify(records) },
    });
  }
  return out;
}

/** The comparable content of a ConfigMap: its labels and data. */
const fingerprint = (labels: Record<string, string>, data: Record<string, string>): string =>
  JSON.stringify([Object.entries(labels).sort(), Object.entries(data).sort()]);

type Entry = {
  readonly rv: string;
  readonly text: string;
  readonly policies: readonly PolicyHistory[];
  readonly attachments: readonly AttachmentRecord[];
};

/** What a stored ConfigMap holds, or an error message naming it. */
function parseConfigMap(cm: V1ConfigMap): Omit<Entry, 'rv'> | { error: string } {
  const at = `ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name}`;
  const labels = cm.metadata?.labels ?? {};
  const data = cm.data ?? {};
  const text = fingerprint(labels, data);
  try {
    if (labels[STORE_KIND_LABEL] === 'api-attachments') {
      const attachments = JSON.parse(data[ATTACHMENTS_KEY] ?? '[]') as AttachmentRecord[];
      if (!Array.isArray(attachments)) return { error: `${at}: ${ATTACHMENTS_KEY} is not a list` };
      return { text, policies: [], attachments };
    }
    const history = JSON.parse(data[HISTORY_KEY] ?? 'null') as PolicyHistory | null;
    if (!history || typeof history.name !== 'string' || !Array.isArray(history.versions)) {
      return { error: `${at}: ${HISTORY_KEY} is not a policy history (name and versions)` };
    }
    return { text, policies: [history], attachments: [] };
  } catch (e) {
    return {
      error: `${at}: not valid JSON (${(e as Error).message}); restore it or delete it to drop that history`,
    };
  }
}

export type ClusterStoreOptions = {
  readonly kubeConfig: KubeConfig;
  /** Namespaces to read and watch; empty means all. */
  readonly namespaces: readonly string[];
  /** Informer tuning (backoff, resync) for the ConfigMap watch. */
  readonly informer?: Partial<Pick<InformerOptions<V1ConfigMap>, 'backoff' | 'resyncMs' | 'onError'>>;
  /** Told about ConfigMaps that cannot be read (they are skipped). */
  readonly onInvalid?: (message: string) => void;
};

/** How many past resourceVersions of one object are remembered as "already seen". */
const KNOWN_RVS = 16;

export class ClusterStore implements VersionStore {
  readonly #o: ClusterStoreOptions;
  readonly #api: CoreV1Api;
  readonly #informers: RestartingInformer<V1ConfigMap>[];
  /** Latest known content of every stored ConfigMap, keyed `namespace/name`. */
  readonly #entries = new Map<string, Entry>();
  /** What the registry last saw (resourceVersion and fingerprint): the base of its next save. */
  #seen = new Map<string, { rv: string; text: string }>();
  /** resourceVersions of each key this store has held: the informer echoing them is not news. */
  readonly #known = new Map<string, string[]>();
  /** resourceVersions the informer has shown per key: a missing object with one of those was deleted. */
  readonly #observed = new Map<string, Set<string>>();
  readonly #listeners = new Set<() => void>();
  #tail: Promise<unknown> = Promise.resolve();
  #loaded = false;

  /** Stores its arguments only; `start` watches. */
  constructor(o: ClusterStoreOptions) {
    this.#o = o;
    this.#api = o.kubeConfig.makeApiClient(CoreV1Api);
    const targets = o.namespaces.length === 0 ? [undefined] : o.namespaces;
    this.#informers = targets.map(
      (namespace) =>
        new RestartingInformer<V1ConfigMap>({
          ...o.informer,
          kubeConfig: o.kubeConfig,
          path: namespace === undefined ? '/api/v1/configmaps' : `/api/v1/namespaces/${namespace}/configmaps`,
          labelSelector: STORE_SELECTOR,
          list: () =>
            namespace === undefined
              ? this.#api.listConfigMapForAllNamespaces({ labelSelector: STORE_SELECTOR })
              : this.#api.listNamespacedConfigMap({ namespace, labelSelector: STORE_SELECTOR }),
        }),
    );
  }

  /** Starts watching the stored ConfigMaps; resolves after the first attempt (see `RestartingInformer.start`). */
  async start(signal: AbortSignal): Promise<void> {
    for (const inf of this.#informers) inf.onChange((ref) => this.#absorb(inf, ref.namespace, ref.name));
    await Promise.all(this.#informers.map((inf) => inf.start(signal)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((inf) => inf.stop()));
  }

  /** True while every ConfigMap watch is listed and watching. */
  healthy(): boolean {
    return this.#informers.every((inf) => inf.healthy());
  }

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
        for (const inf of this.#informers) for (const cm of inf.list()) if (!this.#isOwn(cm)) this.#take(cm);
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
   * written), `StoreError` for any other failure.
   */
  save(state: StoreState): Promise<void> {
    const run = this.#tail.then(() => this.#save(state));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #current(): StoreState {
    const policies: PolicyHistory[] = [];
    const attachments: AttachmentRecord[] = [];
    const seen = new Map<string, { rv: string; text: string }>();
    for (const [key, e] of this.#entries) {
      policies.push(...e.policies);
      attachments.push(...e.attachments);
      seen.set(key, { rv: e.rv, text: e.text });
    }
    this.#seen = seen;
    return { policies, attachments };
  }

  async #save(state: StoreState): Promise<void> {
    const desired = desiredObjects(state);
    for (const [key, d] of desired) {
      const base = this.#seen.get(key);
      const text = fingerprint(d.labels, d.data);
      if (base?.text === text) continue;
      const body: V1ConfigMap = {
        metadata: {
          name: d.name,
          namespace: d.namespace,
          labels: d.labels,
          annotations: d.annotations,
          ...(base ? { resourceVersion: base.rv } : {}),
        },
        data: d.data,
      };
      const written = await this.#write(key, () =>
        base
          ? this.#api.replaceNamespacedConfigMap({ name: d.name, namespace: d.namespace, body })
          : this.#api.createNamespacedConfigMap({ namespace: d.namespace, body }),
      );
      this.#take(written);
    }
    for (const [key, base] of [...this.#seen]) {
      if (desired.has(key)) continue;
      const [namespace = '', name = ''] = key.split('/');
      await this.#write(key, () =>
        this.#api.deleteNamespacedConfigMap({
          name,
          namespace,
          body: { preconditions: { resourceVersion: base.rv } },
        }),
      );
      this.#seen.delete(key);
      this.#entries.delete(key);
    }
  }

  async #write<T>(key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
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
    this.#entries.set(key, { rv, ...parsed });
    this.#seen.set(key, { rv, text: parsed.text });
    this.#know(key, rv);
    return true;
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

  /** An informer saw `namespace/name` change: take foreign writes and deletions, ignore echoes of our own. */
  #absorb(inf: RestartingInformer<V1ConfigMap>, namespace: string, name: string): void {
    if (!this.#loaded) return;
    const key = `${namespace}/${name}`;
    const cm = inf.get(name, namespace);
    const entry = this.#entries.get(key);
    if (cm === undefined) {
      if (entry && this.#observed.get(key)?.has(entry.rv)) {
        this.#entries.delete(key);
        this.#observed.delete(key);
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
