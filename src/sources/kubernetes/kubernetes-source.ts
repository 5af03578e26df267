/**
 * The Kubernetes source: informers on the three railyard.dev kinds, in each watched namespace (or
 * all of them), turned into the `DeclaredInput` of one reconcile pass. It only says "something may
 * have changed" (`onChange`); `declaredInput()` then reads the latest state of every cache, never
 * an event's delta, so repeats and relists are harmless.
 */
import { CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { DeclaredInput, RejectedDocument } from '../../engine/index.ts';
import { type Key, KINDS, type Kind, type Origin, type Resource } from '../../engine/index.ts';
import { type InformerOptions, RestartingInformer } from '../../kube/index.ts';
import { validateDocument } from '../../schema/index.ts';

export const GROUP = 'railyard.dev';
export const VERSION = 'v1alpha1';
export const PLURALS: Readonly<Record<Kind, string>> = {
  Policy: 'policies',
  PolicyAttachment: 'policyattachments',
  Guardrail: 'guardrails',
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

export class KubernetesSource {
  readonly #informers: { kind: Kind; informer: RestartingInformer<CustomObject> }[] = [];
  readonly #listeners = new Set<() => void>();
  /** Validated documents by key, re-used while uid and generation are unchanged (stable identity). */
  #memo = new Map<string, Memo>();
  readonly #everSynced = new Set<RestartingInformer<CustomObject>>();

  /** Stores its arguments only; `start` does the work. */
  constructor(o: KubernetesSourceOptions) {
    const api = o.kubeConfig.makeApiClient(CustomObjectsApi);
    const targets = o.namespaces.length === 0 ? [undefined] : o.namespaces;
    for (const kind of KINDS) {
      const plural = PLURALS[kind];
      for (const namespace of targets) {
        const informer = new RestartingInformer<CustomObject>({
          ...o.informer,
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
  }

  /** Registers a listener told whenever any watched object may have changed. Must not throw. */
  onChange(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /** Starts every informer; resolves after each made its first attempt (failures keep retrying). */
  async start(signal: AbortSignal): Promise<void> {
    for (const { informer } of this.#informers) {
      informer.onChange(() => {
        if (informer.healthy()) this.#everSynced.add(informer);
        for (const cb of this.#listeners) cb();
      });
    }
    await Promise.all(this.#informers.map(({ informer }) => informer.start(signal)));
    for (const { informer } of this.#informers) if (informer.healthy()) this.#everSynced.add(informer);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map(({ informer }) => informer.stop()));
  }

  /** True once every informer has listed at least once: the caches are a complete view. */
  synced(): boolean {
    for (const { informer } of this.#informers) {
      if (informer.healthy()) this.#everSynced.add(informer);
      if (!this.#everSynced.has(informer)) return false;
    }
    return true;
  }

  /** True while every informer is listed and watching. */
  healthy(): boolean {
    return this.#informers.every(({ informer }) => informer.healthy());
  }

  /** Restart count over every informer (`informer_restarts_total`). */
  restarts(): number {
    return this.#informers.reduce((n, { informer }) => n + informer.stats().restarts, 0);
  }

  /** The cached object for `key`, or undefined. */
  object(key: Key): CustomObject | undefined {
    for (const { kind, informer } of this.#informers) {
      if (kind !== key.kind) continue;
      const obj = informer.get(key.name, key.namespace);
      if (obj) return obj;
    }
    return undefined;
  }

  /**
   * Forgets the validated documents so that the next `declaredInput` returns new resource objects:
   * the reconciler then applies every policy again (idempotent), as a new leader must.
   */
  invalidate(): void {
    this.#memo = new Map();
  }

  /**
   * Everything the caches hold, each object through `validateDocument` (the same checks as files):
   * valid ones as resources, the others as rejected documents with key and generation. Objects
   * being deleted are left out. An unchanged object (same uid and generation) gives the same
   * resource object as last time. Never throws.
   */
  declaredInput(): DeclaredInput {
    const resources: Resource[] = [];
    const rejected: RejectedDocument[] = [];
    const memo = new Map<string, Memo>();
    for (const { kind, informer } of this.#informers) {
      for (const obj of informer.list()) {
        const meta = obj.metadata ?? {};
        if (meta.deletionTimestamp || !meta.name || !meta.namespace) continue;
        const mk = `${kind}/${meta.namespace}/${meta.name}`;
        const uid = meta.uid ?? '';
        const generation = meta.generation;
        const before = this.#memo.get(mk);
        const checked =
          before && before.uid === uid && before.generation === generation
            ? before.doc
            : check(kind, obj, meta.namespace, meta.name);
        memo.set(mk, { uid, generation, doc: checked });
        if (checked.ok) resources.push(checked.resource);
        else rejected.push(checked.rejected);
      }
    }
    this.#memo = memo;
    return { resources, rejected };
  }
}

/** One cached object through the schema: only the fields a document has (the server adds the rest). */
function check(kind: Kind, obj: CustomObject, namespace: string, name: string): Checked {
  const generation = obj.metadata?.generation;
  const doc = {
    apiVersion: obj.apiVersion ?? `${GROUP}/${VERSION}`,
    kind: obj.kind ?? kind,
    metadata: { name, namespace, ...(generation === undefined ? {} : { generation }) },
    spec: obj.spec,
  };
  const origin: Origin = { kind: 'kubernetes', namespace, name };
  const result = validateDocument(doc, origin, namespace);
  if (result.ok) return { ok: true, resource: result.value };
  const key: Key = { kind, namespace, name };
  return {
    ok: false,
    rejected: { key, origin, ...(generation === undefined ? {} : { generation }), issues: result.issues },
  };
}
