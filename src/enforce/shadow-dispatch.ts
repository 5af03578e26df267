/**
 * Shadow runs, the answering side: once production's answer is written, picks the versions in
 * shadow of the call's namespace that sample it and hands the call to an executor (in `serve`, the
 * shadow thread), so the runs never delay or change an answer. Bounded: each version runs on its
 * sample rate's share of the calls, and past `maxConcurrent` calls in the executor's hands the
 * sampled runs of a call are skipped and counted, never queued. Cheap on the event loop: one
 * lookup for a namespace without shadows, one draw per version in shadow.
 */
import type { NamespaceView, Snapshot } from '../registry/index.ts';
import type { ShadowSubject } from '../usage/index.ts';
import type { CallVerdicts } from './call-verdicts.ts';
import type { Decision, DecisionInput } from './decision.ts';
import { type ShadowCall, shadowSubject } from './shadow-runner.ts';

/** A call handed over with the namespace it was sampled in. */
export type ShadowSubmission = ShadowCall & { readonly view: NamespaceView; readonly snapshot: Snapshot };

/** Where sampled calls are run (the shadow thread; in tests, the event loop). */
export type ShadowExecutor = {
  /** Takes the call and calls `finished` once its runs are counted; false when it cannot take it now. */
  submit(call: ShadowSubmission, finished: () => void): boolean;
  close?(): Promise<void>;
};

export type ShadowDispatcherOptions = {
  readonly snapshot: () => Snapshot;
  readonly recorder: { skipped(subject: ShadowSubject): void };
  readonly executor: ShadowExecutor;
  /** Calls in the executor's hands at once; past it a sampled call's runs are skipped and counted. */
  readonly maxConcurrent: number;
  /** In [0, 1): decides which calls are sampled. */
  readonly random?: () => number;
};

export const SHADOW_DISPATCH_DEFAULTS = { maxConcurrent: 64 } as const;

export class ShadowDispatcher {
  readonly #o: ShadowDispatcherOptions;
  readonly #random: () => number;
  #inFlight = 0;
  readonly #expected = new WeakMap<Snapshot, boolean>();
  #idle: (() => void)[] = [];
  readonly #finished = (): void => {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
  };

  constructor(options: ShadowDispatcherOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** Calls in the executor's hands now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Whether a call answered now may have shadow runs: some namespace has a version in shadow.
   * Read per call (to decide whether to record its verdicts), worked out once per snapshot.
   */
  expects(): boolean {
    const snapshot = this.#o.snapshot();
    let any = this.#expected.get(snapshot);
    if (any === undefined) {
      any = false;
      for (const view of snapshot.namespaces.values()) if (view.shadows.length > 0) any = true;
      this.#expected.set(snapshot, any);
    }
    return any;
  }

  /**
   * Hands over a call production has answered with `production`, when a version in shadow in its
   * namespace samples it. Call it after the answer is written. Never throws.
   */
  after(input: DecisionInput, production: Decision, verdicts?: CallVerdicts): void {
    const ns = production.namespace;
    if (ns === null) return;
    const snapshot = this.#o.snapshot();
    const view = snapshot.namespaces.get(ns);
    if (view === undefined || view.shadows.length === 0) return;
    const policies: string[] = [];
    for (const target of view.shadows) if (this.#random() < target.sampleRate) policies.push(target.policy);
    if (policies.length === 0) return;
    if (this.#inFlight < this.#o.maxConcurrent) {
      this.#inFlight++;
      if (this.#o.executor.submit({ view, snapshot, input, production, policies, verdicts }, this.#finished))
        return;
      this.#finished();
    }
    for (const target of view.shadows)
      if (policies.includes(target.policy)) this.#o.recorder.skipped(shadowSubject(target));
  }

  /** Resolves once no call is in the executor's hands (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((ok) => this.#idle.push(ok));
  }

  /** Waits for the calls in hand, then stops the executor. */
  async close(): Promise<void> {
    await this.idle();
    await this.#o.executor.close?.();
  }
}
