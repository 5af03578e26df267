/**
 * The one reconcile loop between the sources and the registry, for directory and Kubernetes mode
 * alike. A source says "something may have changed"; the controller waits `debounceMs` for more
 * of the same, then runs one pass over the source's whole view (level-based), never two at once.
 * A pass that fails (the store refused the write, the API server is away) is tried again with
 * capped, jittered backoff until one succeeds; meanwhile the last good snapshot keeps serving and
 * `status()` says what is failing. Every log line of a pass carries its reconcile id. The pending
 * pass is a queue of one key for the `workqueue_*` metrics (`name` label: the controller's
 * name): the wait from the first notification to the pass, and the pass itself.
 */
import {
  assertNever,
  describeOrigin,
  type ReconcileChange,
  renderIssue,
  resourceKey,
} from '../engine/index.ts';
import type { Logger, Metrics, WorkqueueSeries } from '../observability/index.ts';
import type { Registry } from '../registry/index.ts';
import type { Source, SourceTrouble } from '../sources/index.ts';
import { StoreConflict } from '../store/index.ts';
import { type Backoff, backoffDelay } from '../time/index.ts';

export type ControllerOptions = {
  /** The `controller` label of metrics and log lines. */
  readonly name: string;
  readonly source: Source;
  readonly registry: Registry;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Notifications arriving within this window make one pass. */
  readonly debounceMs: number;
  /** When a failed pass is tried again. */
  readonly backoff: Backoff;
  /** While the source has not listed everything yet, look again this often. */
  readonly syncPollMs: number;
  /** Told after every successful pass (Events, status writes); must not throw. */
  readonly onPass?: (pass: PassReport) => void;
  readonly random: () => number;
  /** Wall-clock milliseconds, for `status()`. */
  readonly now: () => number;
};

const DEFAULTS = {
  name: 'declared',
  debounceMs: 20,
  backoff: { initialMs: 200, maxMs: 30_000, jitter: 0.2 },
  syncPollMs: 1_000,
  random: Math.random,
  now: Date.now,
} as const;

/** What a successful pass did. */
export type PassReport = {
  readonly id: string;
  readonly changes: readonly ReconcileChange[];
  readonly log: Logger;
};

/** For `/v1/status`: how reconciling goes. Times are epoch milliseconds. */
export type ControllerStatus = {
  readonly synced: boolean;
  readonly lastReconcileId?: string;
  readonly lastSuccessAt?: number;
  /** Present while passes fail: since when, how many in a row, the last error, the next try. */
  readonly failing?: {
    readonly since: number;
    readonly attempts: number;
    readonly error: string;
    readonly retryAt: number;
  };
  /** Present while the source cannot see its backend (it keeps its last view meanwhile). */
  readonly source?: SourceTrouble;
  /** Kubernetes mode: who writes (versions, statuses), as this replica last read the Lease. */
  readonly leader?: LeaderView;
};

/** The leader as one replica sees it; times are epoch milliseconds of its clock. */
export type LeaderView = {
  /** The replica known to lead, absent while none is (the Lease is unreadable, free or expired). */
  readonly identity?: string;
  /** Whether that is this replica. */
  readonly self: boolean;
  /** Since when this replica has seen `identity` lead. */
  readonly since?: number;
  /** While no leader is known: since when (the last time one was, else this replica's start). */
  readonly unknownSince?: number;
  /** The last failed Lease call, while no leader is known. */
  readonly error?: string;
};

export class Controller {
  readonly #o: ControllerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #reload = false;
  #reapply = false;
  #passes = 0;
  #lastId: string | undefined;
  #lastSuccessAt: number | undefined;
  #failing: ControllerStatus['failing'];
  #idle: (() => void)[] = [];
  /** When the first notification not yet taken by a pass arrived (`performance.now()`). */
  #waitingSince: number | undefined;
  /** When the pass running now started (`performance.now()`). */
  #passStarted: number | undefined;
  readonly #queue: WorkqueueSeries;

  /** Stores its options only; `start` does the work. */
  constructor(
    o: Partial<ControllerOptions> & Pick<ControllerOptions, 'source' | 'registry' | 'log' | 'metrics'>,
  ) {
    this.#o = { ...DEFAULTS, ...o };
    this.#queue = this.#o.metrics.workqueue(this.#o.name, () => {
      const running = this.#passStarted === undefined ? 0 : (performance.now() - this.#passStarted) / 1000;
      return {
        depth: this.#waitingSince === undefined ? 0 : 1,
        unfinishedSeconds: running,
        longestSeconds: running,
      };
    });
  }

  /**
   * Starts the source and reconciles what it reports until `signal` aborts or `stop`. Resolves
   * once the source's first read and the pass after it have run (whether that pass succeeded or
   * is being retried). The registry must be loaded first.
   */
  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    await this.#o.source.start(() => this.kick(), signal);
    this.kick();
    await this.idle();
  }

  /** Stops reconciling and the source; resolves once the pass in flight has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retry);
    this.#timer = undefined;
    await this.#running;
    await this.#o.source.stop();
    this.#settle();
  }

  /** Something may have changed: a pass runs after the debounce window (again, if one is running). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#waitingSince === undefined) {
      this.#waitingSince = performance.now();
      this.#queue.added();
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#drain();
    }, this.#o.debounceMs);
  }

  /** The store changed under the registry (another replica wrote): reload it before the next pass. */
  reload(): void {
    this.#reload = true;
    this.kick();
  }

  /** The next pass applies every policy again (a new leader). */
  reapply(): void {
    this.#reapply = true;
    this.kick();
  }

  status(): ControllerStatus {
    const trouble = this.#o.source.trouble();
    return {
      synced: this.#o.registry.synced(),
      ...(this.#lastId === undefined ? {} : { lastReconcileId: this.#lastId }),
      ...(this.#lastSuccessAt === undefined ? {} : { lastSuccessAt: this.#lastSuccessAt }),
      ...(this.#failing ? { failing: this.#failing } : {}),
      ...(trouble ? { source: trouble } : {}),
    };
  }

  /** Resolves once no pass is scheduled or running (a retry after a failure may still be waiting). */
  idle(): Promise<void> {
    if (this.#timer === undefined && this.#running === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#stopped);
    } finally {
      this.#running = undefined;
      this.#settle();
    }
  }

  #settle(): void {
    if (this.#timer !== undefined || this.#running !== undefined) return;
    for (const wake of this.#idle.splice(0)) wake();
  }

  async #pass(): Promise<void> {
    const { source, registry, metrics, name } = this.#o;
    const id = `${name}-${++this.#passes}`;
    this.#lastId = id;
    const log = this.#o.log.child({ controller: name, reconcileId: id });
    const reload = this.#reload;
    // After a reload the stored histories may lack what this replica recorded: apply everything
    // again on top of them (idempotent; only the leader records versions).
    const reapply = this.#reapply || reload;
    this.#reload = false;
    this.#reapply = false;
    const started = performance.now();
    this.#queue.queued((started - (this.#waitingSince ?? started)) / 1000);
    this.#waitingSince = undefined;
    this.#passStarted = started;
    try {
      if (reload) await registry.reload();
      if (!source.synced()) {
        // Nothing is complete yet: a pass now would retire everything not listed so far.
        this.#reapply ||= reapply;
        log.debug('source not synced yet; waiting');
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => this.kick(), this.#o.syncPollMs);
        return;
      }
      const changes = await registry.applyDeclared(source.view(), { reapplyAll: reapply });
      metrics.reconcileTime.observe({ controller: name }, (performance.now() - started) / 1000);
      // A history the store cannot keep is a failed reconcile of that policy, reported on it; the
      // pass is committed (retrying cannot make the history fit), but it is counted an error.
      const failed = changes.some((c) => c.kind === 'not_stored');
      metrics.reconcileTotal.inc({ controller: name, result: failed ? 'error' : 'success' });
      if (failed) metrics.reconcileErrors.inc({ controller: name });
      this.#failing = undefined;
      this.#lastSuccessAt = this.#o.now();
      clearTimeout(this.#retry);
      logChanges(log, changes);
      if (!registry.synced()) {
        registry.markSynced();
        log.info({ revision: registry.snapshot().revision }, 'initial sync complete');
      }
      this.#o.onPass?.({ id, changes, log });
    } catch (err) {
      metrics.reconcileTime.observe({ controller: name }, (performance.now() - started) / 1000);
      metrics.reconcileTotal.inc({ controller: name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: name });
      this.#reapply ||= reapply;
      // A write that lost a race was refused whole: take what the winner stored, then try again.
      this.#reload ||= reload || err instanceof StoreConflict;
      const attempts = (this.#failing?.attempts ?? 0) + 1;
      const delay = Math.round(backoffDelay(attempts - 1, this.#o.backoff, this.#o.random));
      const now = this.#o.now();
      this.#failing = {
        since: this.#failing?.since ?? now,
        attempts,
        error: err instanceof Error ? err.message : String(err),
        retryAt: now + delay,
      };
      log.warn(
        { err, attempts, retryInMs: delay },
        'reconcile pass failed; the last good state keeps serving',
      );
      clearTimeout(this.#retry);
      if (!this.#stopped) this.#retry = setTimeout(() => this.kick(), delay);
    } finally {
      this.#queue.worked((performance.now() - started) / 1000);
      this.#passStarted = undefined;
    }
  }

  /** How long the pass in flight has been running (ms), or 0: a wedged pass shows here. */
  busyFor(): number {
    return this.#passStarted === undefined ? 0 : performance.now() - this.#passStarted;
  }
}

/** One log line per change of a pass. */
function logChanges(log: Logger, changes: readonly ReconcileChange[]): void {
  for (const c of changes) {
    const key = c.key && resourceKey(c.key);
    switch (c.kind) {
      case 'version':
        log.info({ key, change: c.change }, 'policy version change');
        break;
      case 'invalid': {
        const where = describeOrigin(c.origin);
        const issues = c.issues.map(renderIssue);
        log.warn({ key, at: where, issues }, `invalid object at ${where}: ${issues.join('; ')}`);
        break;
      }
      case 'removed':
        log.info({ key }, 'object removed');
        break;
      case 'pruned':
        log.info({ key, versions: c.versions }, 'versions dropped from the stored history (retention)');
        break;
      case 'not_stored':
        log.warn({ key, reason: c.message }, `history not stored: ${c.message}`);
        break;
      default:
        assertNever(c);
    }
  }
}
