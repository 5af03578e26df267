/**
 * Liveness, apart from readiness: whether this process still makes progress, so that a wedged one
 * is restarted (`/livez`, the Deployment's livenessProbe). Readiness says whether to send it
 * traffic; a replica that lost the API server is live and ready (it serves its last view), one
 * whose event loop or reconcile work is stuck is neither.
 *
 * The event loop is watched by a timer that should fire every `tickMs`: how late it fires is how
 * long the loop was blocked. Other work (a reconcile pass, a status write) is watched through
 * `busyFor` readers: how long the piece in flight has run.
 */

/** One piece of work that must not run forever: how long the one in flight has run (ms, 0 when idle). */
type Watched = { readonly name: string; readonly busyFor: () => number; readonly limitMs: number };

export type LivenessOptions = {
  /** The event loop counts as stuck once a tick is this late (default 10 s). */
  readonly loopLimitMs: number;
  readonly tickMs: number;
  readonly watched: readonly Watched[];
  /** Monotonic milliseconds. */
  readonly now: () => number;
};

const DEFAULTS = { loopLimitMs: 10_000, tickMs: 500, watched: [], now: () => performance.now() } as const;

export class Liveness {
  readonly #o: LivenessOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastTick = 0;
  /** The latest delay of a tick (ms), until a later tick comes on time. */
  #lateBy = 0;

  /** Stores its options only; `start` starts the timer. */
  constructor(o: Partial<LivenessOptions> = {}) {
    this.#o = { ...DEFAULTS, ...o };
  }

  /** Starts watching the event loop; the timer does not keep the process alive. */
  start(): void {
    this.#lastTick = this.#o.now();
    this.#timer = setInterval(() => {
      const now = this.#o.now();
      this.#lateBy = Math.max(0, now - this.#lastTick - this.#o.tickMs);
      this.#lastTick = now;
    }, this.#o.tickMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Live unless the event loop is or was just blocked past its limit, or a watched piece of work
   * has been in flight past its limit; the reason names which and for how long.
   */
  check(): { ok: boolean; reason?: string } {
    if (this.#timer !== undefined) {
      const sinceTick = this.#o.now() - this.#lastTick - this.#o.tickMs;
      const blocked = Math.max(this.#lateBy, sinceTick);
      if (blocked > this.#o.loopLimitMs)
        return { ok: false, reason: `the event loop was blocked for ${seconds(blocked)}` };
    }
    for (const w of this.#o.watched) {
      const busy = w.busyFor();
      if (busy > w.limitMs)
        return {
          ok: false,
          reason: `${w.name} has been running for ${seconds(busy)} (limit ${seconds(w.limitMs)})`,
        };
    }
    return { ok: true };
  }
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
