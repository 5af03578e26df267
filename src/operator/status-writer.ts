/**
 * Writes what the reconciler concluded onto each object's status subresource (leader only).
 * Level-triggered, with work proportional to change: a key goes into the work queue when its
 * status in the snapshot is a new object (statuses are immutable and re-used while unchanged, so
 * an identity check finds what a pass changed), when its cached object changed (someone else
 * wrote its status), and every key once when leadership starts. The handler re-reads the cache,
 * compares the owned fields (deeply, whatever the key order: the API server returns keys sorted)
 * and sends a merge patch only when something differs. Failures (409, 500, a dropped connection)
 * retry with per-key backoff. What the status says: `status-form.ts`.
 */
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { isClusterScoped, type Key, type ObjectStatus, resourceKey } from '../engine/index.ts';
import { FIELD_MANAGER, kubeError } from '../kube/index.ts';
import { type QueueObserver, WorkQueue } from '../reconcile/index.ts';
import type { Snapshot } from '../registry/index.ts';
import { type CustomObject, GROUP, PLURALS, VERSION } from '../sources/kubernetes/index.ts';
import {
  desiredStatus,
  type KubeStatus,
  resolvedGuardrailsOf,
  type ShadowCounts,
  statusPatch,
} from './status-form.ts';

export type StatusWriterOptions = {
  readonly kubeConfig: KubeConfig;
  /** The cached object of a key (the informers' view). */
  readonly object: (key: Key) => CustomObject | undefined;
  /** The snapshot being served: its statuses are what to write. */
  readonly snapshot: () => Snapshot;
  readonly now?: () => Date;
  /** Told after each successful patch with the status written (events, logs). */
  readonly onPatched?: (status: ObjectStatus, object: CustomObject, written: KubeStatus) => void;
  /** Told about every failed patch that is retried (not one of an object deleted meanwhile). */
  readonly onError?: (key: string, error: unknown) => void;
  /** Told about every failed patch, with the resource it wrote (`policies/status`), for a metric. */
  readonly onWriteError?: (resource: string, error: unknown) => void;
  /** Told what the work queue does (`workqueue_*{name="status"}`). */
  readonly observer?: QueueObserver;
  /** Retry delays of one key: first and cap. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** What shadow runs counted on this replica, for the status of policies in shadow. */
  readonly shadowCounts?: () => readonly ShadowCounts[];
};

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  readonly #api: CustomObjectsApi;
  readonly #queue: WorkQueue;
  /** The signal of the `run` in force (leadership); nothing is queued without one. */
  #leading: AbortSignal | undefined;
  /**
   * Per key, the status the last successful patch left on the object, and the object's
   * resourceVersion before it: while the cache still shows that version (the informer has not
   * delivered the patch yet), the status to compare with is the written one, not the cached one.
   * Without it, a key looked at again in that window was patched a second time.
   */
  readonly #written = new Map<string, { readonly before: string | undefined; readonly status: unknown }>();
  /** The statuses the queue was last brought up to date with; undefined: none yet (all are new). */
  #seen: ReadonlyMap<string, ObjectStatus> | undefined;

  /** Stores its arguments only; `run` writes. */
  constructor(o: StatusWriterOptions) {
    this.#o = o;
    this.#api = o.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#queue = new WorkQueue({
      baseDelayMs: o.baseDelayMs ?? 100,
      maxDelayMs: o.maxDelayMs ?? 30_000,
      onError: (key, e) => o.onError?.(key, e),
      ...(o.observer ? { observer: o.observer } : {}),
    });
  }

  metrics() {
    return this.#queue.metrics();
  }

  /**
   * After a pass: enqueues the keys whose status is not the object seen last time (every key the
   * first time after `run` starts). Costs one identity check per object; no-op unless running.
   */
  enqueueChanged(): void {
    if (!this.#running()) return;
    const statuses = this.#o.snapshot().statusByKey;
    const seen = this.#seen;
    if (statuses === seen) return;
    for (const [key, s] of statuses) if (seen?.get(key) !== s) this.#queue.add(key);
    this.#seen = statuses;
  }

  /**
   * Enqueues every key whose status `only` keeps, to be compared again: for what moves without a
   * pass (a shadow's counts). The comparison decides whether anything is written. No-op unless
   * running.
   */
  enqueueWhere(only: (s: ObjectStatus) => boolean): void {
    if (!this.#running()) return;
    for (const [key, s] of this.#o.snapshot().statusByKey) if (only(s)) this.#queue.add(key);
  }

  /** The object of `key` changed in the cache (its status, say): compare it again. No-op unless running. */
  enqueue(key: Key): void {
    if (this.#running()) this.#queue.add(resourceKey(key));
  }

  /**
   * Writes statuses until `signal` aborts (leadership lost), then resolves once in-flight patches
   * end. A `run` may start before the previous one has resolved (leadership lost and taken again
   * at once): the later one is in force from its start.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#leading = signal;
    this.#seen = undefined;
    this.enqueueChanged();
    await this.#queue.run((key, sig) => this.#reconcile(key, sig), { workers: 2, signal });
    if (this.#leading === signal) this.#leading = undefined;
  }

  #running(): boolean {
    return this.#leading !== undefined && !this.#leading.aborted;
  }

  /** The patch `s` needs, or undefined when the object is absent, newer than `s`, or already right. */
  #pending(
    s: ObjectStatus,
    snapshot: Snapshot,
  ): { patch: Record<string, unknown>; desired: KubeStatus; obj: CustomObject } | undefined {
    const obj = this.#o.object(s.key);
    if (!obj || (s.generation !== undefined && obj.metadata?.generation !== s.generation)) return undefined;
    const key = resourceKey(s.key);
    const written = this.#written.get(key);
    let current = obj.status;
    if (written?.before !== undefined && written.before === obj.metadata?.resourceVersion) {
      current = written.status as Readonly<Record<string, unknown>> | undefined;
    } else if (written) this.#written.delete(key);
    const now = (this.#o.now ?? (() => new Date()))()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const shadow = s.policy?.shadow;
    const counts =
      shadow === undefined
        ? undefined
        : this.#o
            .shadowCounts?.()
            .find(
              (c) =>
                c.subject.namespace === s.key.namespace &&
                c.subject.policy === s.policy?.policyName &&
                c.subject.policyId === shadow.policyId,
            );
    const desired = desiredStatus(
      s,
      current,
      resolvedGuardrailsOf(snapshot, s.key, s.policy?.policyName),
      now,
      counts,
    );
    const patch = statusPatch(desired, current);
    return patch && { patch, desired, obj };
  }

  async #reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number }> {
    const snapshot = this.#o.snapshot();
    const s = snapshot.statusByKey.get(key);
    if (!s || signal.aborted) return {};
    const pending = this.#pending(s, snapshot);
    if (!pending) return {};
    let answer: CustomObject;
    try {
      const target = {
        group: GROUP,
        version: VERSION,
        plural: PLURALS[s.key.kind],
        name: s.key.name,
        fieldManager: FIELD_MANAGER,
        body: { status: pending.patch },
      };
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      answer = isClusterScoped(s.key.kind)
        ? await this.#api.patchClusterCustomObjectStatus(target, merge)
        : await this.#api.patchNamespacedCustomObjectStatus({ ...target, namespace: s.key.namespace }, merge);
    } catch (e) {
      this.#o.onWriteError?.(`${PLURALS[s.key.kind]}/status`, e);
      if (kubeError(e).code === 404) return {}; // deleted meanwhile: nothing to report on
      throw e;
    }
    this.#written.set(key, { before: pending.obj.metadata?.resourceVersion, status: answer?.status });
    this.#o.onPatched?.(s, pending.obj, pending.desired);
    return {};
  }
}
