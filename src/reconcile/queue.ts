/**
 * A level-triggered work queue of string keys, modelled on client-go's workqueue and
 * controller-runtime's worker loop. A key in the queue means "look at this object again"; it
 * carries no event. Guarantees:
 * - de-duplicated: adding a key that is already waiting does nothing;
 * - never two workers on one key: a key added while in flight runs again after the current run;
 * - per-key exponential backoff on failure (`backoffDelay` without jitter, as client-go), reset by `forget`;
 * - a handler that throws is caught, counted and retried with backoff; the loop keeps going;
 * - how long keys wait and handlers run is told to an observer (client-go's `workqueue_*`).
 */
import { backoffDelay } from '../time/index.ts';

type Outcome = { readonly requeueAfterMs?: number };
export type Handler = (key: string, signal: AbortSignal) => Promise<Outcome>;

/** Cancels a timer. */
export type CancelTimer = () => void;

/** Told what a queue does, for client-go's `workqueue_*` metrics. Must not throw. */
export type QueueObserver = {
  /** A key was accepted (`workqueue_adds_total`); de-duplicated adds are not. */
  readonly added: () => void;
  /** A key was re-added with backoff after a failure (`workqueue_retries_total`). */
  readonly retried: () => void;
  /** A key waited this long from being added to a worker taking it (`workqueue_queue_duration_seconds`). */
  readonly queued: (seconds: number) => void;
  /** A handler ran this long (`workqueue_work_duration_seconds`). */
  readonly worked: (seconds: number) => void;
};

export type QueueOptions = {
  /** First retry delay after a failure (client-go: 5 ms). */
  readonly baseDelayMs: number;
  /** Cap of the per-key retry delay (client-go: 1000 s). */
  readonly maxDelayMs: number;
  /** Monotonic milliseconds; with `setTimer`, injectable so tests control time. */
  readonly now: () => number;
  /** Runs `fn` after `ms`. */
  readonly setTimer: (fn: () => void, ms: number) => CancelTimer;
  /** Told about every handler throw (for a log line); the queue has already scheduled the retry. */
  readonly onError: (key: string, error: unknown) => void;
  readonly observer?: QueueObserver;
};

/** Plain counters for `workqueue_*` / `controller_runtime_reconcile_*` metrics. */
export type QueueMetrics = {
  /** Keys waiting for a worker (`workqueue_depth`). */
  readonly depth: number;
  /** Accepted adds, excluding de-duplicated ones (`workqueue_adds_total`). */
  readonly adds: number;
  /** Keys re-added with backoff after a failure (`workqueue_retries_total`). */
  readonly retries: number;
  /** Handler runs that threw (`controller_runtime_reconcile_errors_total`). */
  readonly errors: number;
  /** Handler runs that returned (`controller_runtime_reconcile_total{result!=error}`). */
  readonly successes: number;
  /** Keys being handled right now (`controller_runtime_active_workers`). */
  readonly active: number;
  /** Seconds the handlers running now have run, summed (`workqueue_unfinished_work_seconds`). */
  readonly unfinishedSeconds: number;
  /** Seconds the longest-running handler has run (`workqueue_longest_running_processor_seconds`). */
  readonly longestSeconds: number;
};

const DEFAULTS: QueueOptions = {
  baseDelayMs: 5,
  maxDelayMs: 1_000_000,
  now: () => performance.now(),
  onError: () => {},
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export class WorkQueue {
  readonly #o: QueueOptions;
  /** Keys waiting for a worker, in order. */
  readonly #queue: string[] = [];
  /** Keys that need processing (waiting, or re-added while in flight). */
  readonly #dirty = new Set<string>();
  /** Keys being handled, with when their handler started (`now()`). */
  readonly #processing = new Map<string, number>();
  /** When each key waiting in `#queue` was added (`now()`). */
  readonly #addedAt = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  /** Pending `addAfter` timers, at most one per key: the earliest wins. */
  readonly #waiting = new Map<string, { at: number; cancel: CancelTimer }>();
  #wake: (() => void)[] = [];
  #counters = { adds: 0, retries: 0, errors: 0, successes: 0 };

  /** Stores options only; `run` starts the workers. */
  constructor(options: Partial<QueueOptions> = {}) {
    this.#o = { ...DEFAULTS, ...options };
  }

  /** Marks `key` for processing. No-op when it is already waiting. */
  add(key: string): void {
    if (this.#dirty.has(key)) return;
    this.#counters.adds++;
    this.#o.observer?.added();
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#o.now());
    if (this.#processing.has(key)) return; // re-queued by `#done`
    this.#queue.push(key);
    this.#wake.shift()?.();
  }

  /**
   * Adds `key` after `ms` (now when `ms <= 0`). When the key already waits for an earlier time the
   * later request is dropped; an earlier request replaces a later one.
   */
  addAfter(key: string, ms: number): void {
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#o.now() + ms;
    const pending = this.#waiting.get(key);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.#o.setTimer(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, cancel });
  }

  /** Re-adds `key` after its backoff delay and counts a retry. */
  addRateLimited(key: string): void {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.#counters.retries++;
    this.#o.observer?.retried();
    this.addAfter(
      key,
      backoffDelay(failures, { initialMs: this.#o.baseDelayMs, maxMs: this.#o.maxDelayMs, jitter: 0 }),
    );
  }

  /** Resets the backoff of `key` (after a success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How many times in a row `key` has failed since its last `forget`. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  metrics(): QueueMetrics {
    const now = this.#o.now();
    let unfinished = 0;
    let longest = 0;
    for (const started of this.#processing.values()) {
      unfinished += now - started;
      longest = Math.max(longest, now - started);
    }
    return {
      ...this.#counters,
      depth: this.#queue.length,
      active: this.#processing.size,
      unfinishedSeconds: unfinished / 1000,
      longestSeconds: longest / 1000,
    };
  }

  /**
   * Runs `workers` concurrent workers until `signal` aborts, then cancels pending timers and
   * resolves once every in-flight handler has returned (handlers receive `signal`). For each key:
   * a returned outcome forgets its backoff and, with `requeueAfterMs`, adds it again then; a throw
   * adds it again with backoff. Never rejects.
   */
  async run(handler: Handler, opts: { workers: number; signal: AbortSignal }): Promise<void> {
    const { signal } = opts;
    const onAbort = () => {
      for (const wake of this.#wake.splice(0)) wake();
      for (const w of this.#waiting.values()) w.cancel();
      this.#waiting.clear();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const worker = async () => {
      for (let key = await this.#next(signal); key !== undefined; key = await this.#next(signal)) {
        await this.#handle(key, handler, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.workers) }, worker));
    signal.removeEventListener('abort', onAbort);
  }

  async #handle(key: string, handler: Handler, signal: AbortSignal): Promise<void> {
    const started = this.#processing.get(key) ?? this.#o.now();
    try {
      const outcome = await handler(key, signal);
      this.#counters.successes++;
      this.forget(key);
      if (outcome.requeueAfterMs !== undefined) this.addAfter(key, outcome.requeueAfterMs);
    } catch (e) {
      this.#counters.errors++;
      if (!signal.aborted) this.addRateLimited(key);
      this.#o.onError(key, e);
    } finally {
      this.#o.observer?.worked((this.#o.now() - started) / 1000);
      this.#processing.delete(key);
      if (this.#dirty.has(key)) {
        this.#queue.push(key);
        this.#wake.shift()?.();
      }
    }
  }

  /** The next key to work on (now marked in flight), or undefined once `signal` aborted. */
  async #next(signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const key = this.#queue.shift();
      if (key !== undefined) {
        const now = this.#o.now();
        this.#dirty.delete(key);
        this.#processing.set(key, now);
        this.#o.observer?.queued((now - (this.#addedAt.get(key) ?? now)) / 1000);
        this.#addedAt.delete(key);
        return key;
      }
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
    return undefined;
  }
}
