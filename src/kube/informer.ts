/**
 * An informer that does not stay dead. client-node's `ListWatch` (what `makeInformer` returns)
 * handles 410 Gone and idle timeouts itself, but stops for good on any other error (a failed list,
 * a non-200 watch, a dropped connection). This wrapper replaces it with a fresh one after each
 * error, waiting a capped, jittered exponential backoff, and re-lists periodically.
 *
 * It says only "this object may have changed" (level-triggered): `onChange` listeners get the
 * object's namespace/name on every add, update and delete, and for every cached object after each
 * list, plus every object that vanished while the informer was down. Repeats are expected.
 *
 * `transform` is applied to every object, listed or watched, before it is cached: the cache keeps
 * only what its reader needs (managedFields alone are most of a small object's memory).
 */

import { setTimeout as sleepTimer } from 'node:timers/promises';
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { type Backoff, backoffDelay } from '../time/index.ts';
import { type KubeError, kubeError } from './client.ts';

export type ObjectRef = { readonly namespace: string; readonly name: string };

export type InformerConfig<T extends KubernetesObject> = {
  readonly kubeConfig: KubeConfig;
  /** API path of the collection, e.g. `/api/v1/namespaces/ai-gateway/configmaps`. */
  readonly path: string;
  /** Lists the same collection (same selectors). */
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly backoff: Backoff;
  /** Full re-list (and enqueue of every key) this often (default 5 min). */
  readonly resyncMs: number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  readonly delay: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random: () => number;
  /** Told about every error that made the informer restart (for a log line). */
  readonly onError: (error: KubeError) => void;
  /**
   * What to cache of each object (it must keep `metadata.name`, `namespace` and
   * `resourceVersion`); the object as received when absent. Must not throw.
   */
  readonly transform?: (obj: T) => T;
};

export type InformerStats = {
  /** Restarts after an error (`informer_restarts_total`). */
  readonly restarts: number;
  /** Lists of the collection after the first: resyncs, restarts and 410 Gone (`informer_relists_total`). */
  readonly relists: number;
  readonly lastError?: KubeError;
};

const DEFAULTS = {
  backoff: { initialMs: 1_000, maxMs: 30_000, jitter: 0.2 },
  resyncMs: 300_000,
  delay: (ms: number, signal: AbortSignal) => sleepTimer(ms, undefined, { signal }).catch(() => undefined),
  random: Math.random,
  onError: () => {},
} as const;

export type InformerOptions<T extends KubernetesObject> = Pick<
  InformerConfig<T>,
  'kubeConfig' | 'path' | 'list'
> &
  Partial<InformerConfig<T>>;

function informerConfig<T extends KubernetesObject>(o: InformerOptions<T>): InformerConfig<T> {
  return { ...DEFAULTS, ...o };
}

const VERBS = ['add', 'update', 'delete'] as const;

export class RestartingInformer<T extends KubernetesObject> {
  readonly #c: InformerConfig<T>;
  readonly #listeners = new Set<(ref: ObjectRef) => void>();
  /** The ListWatch whose events count; older ones are stopped and ignored. */
  #active: ListWatch<T> | undefined;
  /** The last ListWatch that completed a list: reads come from it, even while restarting. */
  #cache: ListWatch<T> | undefined;
  #healthy = false;
  #stats: { restarts: number; relists: number; lastError?: KubeError } = { restarts: 0, relists: 0 };
  #lists = 0;
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  /** Stores the configuration only; `start` does the work. */
  constructor(options: InformerOptions<T>) {
    this.#c = informerConfig(options);
  }

  /** Registers a listener; returns its unsubscribe. Listeners must not throw. */
  onChange(cb: (ref: ObjectRef) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /**
   * Starts listing and watching; resolves after the first attempt, whether it synced (`healthy()`)
   * or failed (it keeps retrying in the background). Runs until `signal` aborts or `stop()`.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#loop) throw new Error('RestartingInformer.start called twice');
    const stop = new AbortController();
    this.#stop = stop;
    signal?.addEventListener('abort', () => stop.abort(), { once: true });
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => {
      firstAttempt = resolve;
    });
    this.#loop = this.#run(stop.signal, firstAttempt);
    await attempted;
  }

  /**
   * Stops watching and resolves once the loop has ended (a watch still connecting is closed the
   * moment it opens). The cache stays readable.
   */
  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#loop;
  }

  /** True once listed and watching, false while failing or restarting. */
  healthy(): boolean {
    return this.#healthy;
  }

  stats(): InformerStats {
    return { ...this.#stats };
  }

  list(namespace?: string): readonly T[] {
    return this.#cache?.list(namespace) ?? [];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#cache?.get(name, namespace);
  }

  async #run(stop: AbortSignal, firstAttempt: () => void): Promise<void> {
    let attempt = 0;
    while (!stop.aborted) {
      const lw = this.#listWatch();
      let failure: unknown;
      let failed!: () => void;
      const failedPromise = new Promise<'failed'>((resolve) => {
        failed = () => resolve('failed');
      });
      lw.on('error', (e) => {
        if (this.#active !== lw || failure !== undefined) return;
        failure = e ?? new Error('informer stopped');
        this.#healthy = false;
        failed();
      });
      this.#active = lw;
      const started = lw.start().catch((e: unknown) => {
        failure ??= e;
      });
      await Promise.race([started, aborted(stop)]);
      let outcome: 'failed' | 'resync' | 'stopped' = 'failed';
      if (failure === undefined && !stop.aborted) {
        this.#synced(lw);
        attempt = 0;
        firstAttempt();
        const timer = new AbortController();
        const resync = this.#c
          .delay(this.#c.resyncMs, AbortSignal.any([stop, timer.signal]))
          .then((): 'stopped' | 'resync' => (stop.aborted ? 'stopped' : 'resync'));
        outcome = await Promise.race([failedPromise, resync]);
        timer.abort();
      }
      this.#active = undefined;
      await lw.stop();
      // A start abandoned by `stop` may still open its watch: close it as soon as it does.
      void started.then(() => lw.stop());
      if (stop.aborted) break;
      if (outcome === 'resync') continue;
      this.#healthy = false;
      const error = kubeError(failure);
      this.#stats = { ...this.#stats, restarts: this.#stats.restarts + 1, lastError: error };
      this.#c.onError(error);
      firstAttempt();
      await this.#c.delay(backoffDelay(attempt++, this.#c.backoff, this.#c.random), stop);
    }
    this.#healthy = false;
    firstAttempt();
  }

  #listWatch(): ListWatch<T> {
    const c = this.#c;
    let listed = false;
    const transform = c.transform;
    const list = async () => {
      const got = await c.list();
      const result = transform ? { ...got, items: got.items.map(transform) } : got;
      // Stopped meanwhile: fail, so that ListWatch does not go on to open a watch.
      if (this.#active !== lw) throw new Error('informer stopped');
      if (this.#lists++ > 0) this.#stats = { ...this.#stats, relists: this.#stats.relists + 1 };
      // A re-list inside the same ListWatch (after 410 Gone): its cache is updated synchronously
      // once this promise settles, so announce every key on the next turn.
      if (listed) {
        setImmediate(() => {
          if (this.#active === lw) this.#emitAll(lw.list());
        });
      }
      listed = true;
      return result;
    };
    const lw = new ListWatch<T>(
      c.path,
      transform ? new TransformingWatch(c.kubeConfig, transform) : new Watch(c.kubeConfig),
      list,
      false,
      c.labelSelector,
      c.fieldSelector,
    );
    for (const verb of VERBS) {
      lw.on(verb, (obj) => {
        if (this.#active === lw) this.#emit(refOf(obj));
      });
    }
    return lw;
  }

  /** `lw` has listed and is watching: serve reads from it and announce every key, old and new. */
  #synced(lw: ListWatch<T>): void {
    const previous = this.#cache?.list() ?? [];
    this.#cache = lw;
    this.#healthy = true;
    this.#emitAll([...previous, ...lw.list()]);
  }

  #emitAll(objects: readonly T[]): void {
    const seen = new Set<string>();
    for (const obj of objects) {
      const ref = refOf(obj);
      const key = `${ref.namespace}/${ref.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.#emit(ref);
    }
  }

  #emit(ref: ObjectRef): void {
    for (const cb of this.#listeners) cb(ref);
  }
}

/** A `Watch` that hands on each event's object through `transform` (errors and bookmarks as they are). */
class TransformingWatch<T extends KubernetesObject> extends Watch {
  readonly #transform: (obj: T) => T;

  constructor(kc: KubeConfig, transform: (obj: T) => T) {
    super(kc);
    this.#transform = transform;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj) =>
        callback(phase, phase === 'ERROR' || phase === 'BOOKMARK' ? obj : this.#transform(obj as T)),
      done,
    );
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function refOf(obj: KubernetesObject): ObjectRef {
  return { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}
