/**
 * Guardrail checks off the event loop: a pool of worker threads (piscina) that runs the
 * synchronous checks, so that a decision's deadline and the concurrency limit hold for them, and
 * `/healthz` and `/v1/resolve` keep answering while large contents are scanned.
 *
 * Small contents stay on the event loop: handing a check to a thread costs about 0.1 ms, more than
 * scanning a few kilobytes, and every check is linear and bounded, so `inlineChars` of content
 * takes well under a millisecond. A check aborted by its signal (the decision's deadline) is
 * dropped from the queue, or its worker is terminated and replaced: an overrun never keeps a
 * thread busy. Workers run at a lower scheduling priority than the event loop where the system
 * allows it (`niceIncrement`).
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { CheckResult } from './check.ts';
import type { CheckTask } from './check-worker.ts';
import type { CheckType } from './compile-check.ts';

export type CheckPoolOptions = {
  /** Worker threads (`--guardrail-workers`); at least 1. */
  readonly threads: number;
  /** Contents up to this many characters in all are checked on the event loop (`--guardrail-inline-chars`). */
  readonly inlineChars: number;
};

export const CHECK_POOL_DEFAULTS: CheckPoolOptions = {
  threads: Math.max(1, availableParallelism() - 1),
  inlineChars: 16_384,
};

/** Specs are immutable: one id per spec object, for the worker's compile cache. */
const ids = new WeakMap<object, number>();
let nextId = 1;

export class CheckPool {
  readonly inlineChars: number;
  readonly #pool: Piscina<CheckTask, CheckResult>;

  /**
   * Starts no thread yet: one starts with the first large content (about 0.1 s, once) and stops
   * after a minute without work. A server that never sees a large content then pays no memory for
   * the pool (a thread holds about 30 MB).
   */
  constructor(options: Partial<CheckPoolOptions> = {}) {
    const opts = { ...CHECK_POOL_DEFAULTS, ...options };
    this.inlineChars = opts.inlineChars;
    this.#pool = new Piscina({
      filename: new URL('./check-worker.ts', import.meta.url).href,
      minThreads: 0,
      maxThreads: opts.threads,
      idleTimeout: 60_000,
      niceIncrement: 5,
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
  }

  /** Whether content of `chars` characters goes to a thread. */
  offloads(chars: number): boolean {
    return chars > this.inlineChars;
  }

  /**
   * Runs the check of `config` (an object the caller keeps immutable) on `texts` in a worker.
   * Rejects when `signal` aborts (an `AbortError`) and when the worker fails.
   */
  run(type: CheckType, config: object, texts: readonly string[], signal: AbortSignal): Promise<CheckResult> {
    let id = ids.get(config);
    if (id === undefined) {
      id = nextId++;
      ids.set(config, id);
    }
    return this.#pool.run({ id, type, config: config as CheckTask['config'], texts }, { signal });
  }

  /** Threads currently running: none before the first large content, at most `threads`. */
  get threads(): number {
    return this.#pool.threads.length;
  }

  /** Stops every thread; running and queued checks reject. */
  destroy(): Promise<void> {
    return this.#pool.destroy();
  }
}
