/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's `leaderelection`:
 * - a candidate acquires the Lease when it is missing, has no holder, or has expired: it has not
 *   changed (same resourceVersion) for `leaseDurationSeconds` by the candidate's own clock, as
 *   client-go judges it, so clocks that disagree between nodes cannot shorten a lease; attempts
 *   are every `retryPeriodMs` (jittered);
 * - the leader renews every `retryPeriodMs` with a resourceVersion-checked replace (a 409 means
 *   someone else wrote the Lease first);
 * - when it has not renewed for `renewDeadlineMs`, or it sees another holder, it stops leading at
 *   once: the signal given to `onStartedLeading` aborts and `onStoppedLeading` runs;
 * - `leaseTransitions` grows by one each time the holder changes;
 * - `release()` clears `holderIdentity` so another replica takes over within one retry period.
 * Times on the wire are `V1MicroTime` (six fractional digits): a plain `Date` gets an HTTP 400.
 */
import { hostname } from 'node:os';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { FIELD_MANAGER, type KubeError, kubeError } from './client.ts';

export type LeaderElectionConfig = {
  readonly namespace: string;
  /** Name of the Lease object. */
  readonly name: string;
  /** This replica's name in `holderIdentity`; default the pod name (`HOSTNAME`). */
  readonly identity: string;
  /** How long a lease is valid after its last renewal (client-go: 15 s). Written in whole seconds, rounded up. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leading (client-go: 10 s). */
  readonly renewDeadlineMs: number;
  /** Time between attempts to acquire or renew (client-go: 2 s). */
  readonly retryPeriodMs: number;
  /** Acquire attempts wait `retryPeriodMs · (1 + jitter · random())` (client-go: 1.2). */
  readonly jitter: number;
  readonly now: () => Date;
  readonly random: () => number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called when this replica becomes leader; `signal` aborts the moment leadership is lost. Must not throw. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  /** Called once each time leadership ends (lost, deadline missed, stopped or released). Must not throw. */
  readonly onStoppedLeading: () => void;
  /** Told about every failed API call (for a log line); the elector retries by itself. */
  readonly onError: (error: KubeError) => void;
  /** Told about every failed write of the Lease (create or update; for a metric). */
  readonly onWriteError: (verb: 'create' | 'update', error: KubeError) => void;
};

/** What the elector last saw; feeds `leader_election_master_status{name}`. */
export type LeaderStatus = {
  readonly leader: boolean;
  readonly identity: string;
  /** Holder seen in the Lease at the last read; undefined before the first read or when free. */
  readonly observedHolder?: string;
  /**
   * The last leader this replica confirmed (itself after a write, or another holder whose Lease
   * it read while valid): who, since when it has seen that holder lead and when it last saw it,
   * as epoch milliseconds of this replica's clock. A leader is known while `at` is within a lease
   * duration; past that, nobody is known to lead (the Lease cannot be read, or nobody holds it).
   */
  readonly confirmed?: { readonly identity: string; readonly since: number; readonly at: number };
  readonly lastError?: KubeError;
};

export type ReleaseResult =
  | { readonly outcome: 'released' }
  | { readonly outcome: 'not_holder' }
  | { readonly outcome: 'error'; readonly error: KubeError };

const DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  jitter: 1.2,
  now: () => new Date(),
  random: Math.random,
  sleep: (ms: number, signal: AbortSignal) => sleepTimer(ms, undefined, { signal }).catch(() => undefined),
  onStartedLeading: () => {},
  onStoppedLeading: () => {},
  onError: () => {},
  onWriteError: () => {},
} as const;

/** Fills in client-go's defaults; leaves the caller's object alone. */
function leaderElectionConfig(
  o: Pick<LeaderElectionConfig, 'namespace' | 'name'> & Partial<LeaderElectionConfig>,
): LeaderElectionConfig {
  return { identity: process.env.HOSTNAME || hostname(), ...DEFAULTS, ...o };
}

type Attempt = 'held' | 'taken' | 'failed';

export class LeaderElector {
  readonly #kc: KubeConfig;
  readonly #c: LeaderElectionConfig;
  #api: CoordinationV1Api | undefined;
  #stop = new AbortController();
  #running: Promise<void> | undefined;
  #leading: AbortController | undefined;
  #observedHolder: string | undefined;
  /** The Lease version last read, and when it was first seen, on this replica's clock. */
  #observed: { resourceVersion: string; at: number } | undefined;
  #confirmed: { identity: string; since: number; at: number } | undefined;
  #lastError: KubeError | undefined;

  /** Stores its arguments only; `run` does the work. */
  constructor(
    kc: KubeConfig,
    config: Pick<LeaderElectionConfig, 'namespace' | 'name'> & Partial<LeaderElectionConfig>,
  ) {
    this.#kc = kc;
    this.#c = leaderElectionConfig(config);
  }

  isLeader(): boolean {
    return this.#leading !== undefined;
  }

  status(): LeaderStatus {
    return {
      leader: this.isLeader(),
      identity: this.#c.identity,
      ...(this.#observedHolder === undefined ? {} : { observedHolder: this.#observedHolder }),
      ...(this.#confirmed === undefined ? {} : { confirmed: { ...this.#confirmed } }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  /**
   * Campaigns and leads until `signal` aborts or `release()` is called, then resolves. After losing
   * leadership it campaigns again. Stopping does not clear the Lease: without `release()` the other
   * replicas wait for it to expire. Never rejects.
   */
  run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error('LeaderElector.run called twice');
    this.#api = this.#kc.makeApiClient(CoordinationV1Api);
    const stop = AbortSignal.any([signal, this.#stop.signal]);
    this.#running = this.#loop(stop);
    return this.#running;
  }

  /**
   * Stops `run` (leadership ends at once) and, when this replica holds the Lease, clears its holder
   * so another replica can take over without waiting for expiry.
   */
  async release(): Promise<ReleaseResult> {
    this.#stop.abort();
    await this.#running;
    const api = this.#api ?? this.#kc.makeApiClient(CoordinationV1Api);
    try {
      const lease = await api.readNamespacedLease({ name: this.#c.name, namespace: this.#c.namespace });
      if (lease.spec?.holderIdentity !== this.#c.identity) return { outcome: 'not_holder' };
      const now = new V1MicroTime(this.#c.now().getTime());
      const { holderIdentity: _cleared, ...rest } = lease.spec;
      await api.replaceNamespacedLease({
        name: this.#c.name,
        namespace: this.#c.namespace,
        fieldManager: FIELD_MANAGER,
        body: { ...lease, spec: { ...rest, leaseDurationSeconds: 1, acquireTime: now, renewTime: now } },
      });
      this.#observedHolder = undefined;
      return { outcome: 'released' };
    } catch (e) {
      return { outcome: 'error', error: this.#failed(e) };
    }
  }

  async #loop(stop: AbortSignal): Promise<void> {
    const c = this.#c;
    while (!stop.aborted) {
      const attemptAt = c.now().getTime();
      if ((await this.#tryAcquireOrRenew()) !== 'held') {
        await c.sleep(c.retryPeriodMs * (1 + c.jitter * c.random()), stop);
        continue;
      }
      if (stop.aborted) break; // acquired while stopping: let the lease expire or be released
      const lead = new AbortController();
      this.#leading = lead;
      c.onStartedLeading(lead.signal);
      await this.#renewUntilLost(attemptAt, stop);
      this.#leading = undefined;
      lead.abort();
      c.onStoppedLeading();
    }
  }

  /**
   * Renews every retry period; returns when another holder is seen, `renewDeadlineMs` has passed
   * since the last successful renewal, or `stop` aborts.
   */
  async #renewUntilLost(acquiredAt: number, stop: AbortSignal): Promise<void> {
    const c = this.#c;
    let renewedAt = acquiredAt;
    const left = () => renewedAt + c.renewDeadlineMs - c.now().getTime();
    while (!stop.aborted && left() > 0) {
      await c.sleep(Math.min(c.retryPeriodMs, left()), stop);
      if (stop.aborted || left() <= 0) return;
      const attemptAt = c.now().getTime();
      const result = await this.#withDeadline(this.#tryAcquireOrRenew(), left(), stop);
      if (result === 'held') renewedAt = attemptAt;
      else if (result === 'taken') return;
    }
  }

  /** `attempt`'s result, or 'failed' once `ms` pass first (a hung request must not extend leadership). */
  async #withDeadline(attempt: Promise<Attempt>, ms: number, stop: AbortSignal): Promise<Attempt> {
    const timeout = new AbortController();
    const expired = this.#c.sleep(ms, AbortSignal.any([stop, timeout.signal])).then(() => 'failed' as const);
    const result = await Promise.race([attempt, expired]);
    timeout.abort();
    return result;
  }

  /** One read and, unless another replica holds a valid lease, one create or RV-checked replace. */
  async #tryAcquireOrRenew(): Promise<Attempt> {
    const c = this.#c;
    const api = this.#api;
    if (api === undefined) return 'failed';
    const now = c.now();
    const micro = new V1MicroTime(now.getTime());
    const leaseDurationSeconds = Math.ceil(c.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name: c.name, namespace: c.namespace });
    } catch (e) {
      if (kubeError(e).code !== 404) return this.#fail(e);
      try {
        await api.createNamespacedLease({
          namespace: c.namespace,
          fieldManager: FIELD_MANAGER,
          body: {
            metadata: { name: c.name, namespace: c.namespace },
            spec: {
              holderIdentity: c.identity,
              leaseDurationSeconds,
              acquireTime: micro,
              renewTime: micro,
              leaseTransitions: 0,
            },
          },
        });
        this.#observedHolder = c.identity;
        this.#confirm(c.identity, now.getTime());
        return 'held';
      } catch (e) {
        return this.#fail(e, 'create');
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity || undefined;
    this.#observedHolder = holder;
    const version = lease.metadata?.resourceVersion ?? '';
    if (this.#observed?.resourceVersion !== version)
      this.#observed = { resourceVersion: version, at: now.getTime() };
    const mine = holder === c.identity;
    if (
      holder !== undefined &&
      !mine &&
      !expired(this.#observed.at, spec.leaseDurationSeconds, now.getTime())
    ) {
      this.#confirm(holder, now.getTime());
      return 'taken';
    }
    const transitions = spec.leaseTransitions ?? 0;
    try {
      await api.replaceNamespacedLease({
        name: c.name,
        namespace: c.namespace,
        fieldManager: FIELD_MANAGER,
        body: {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: c.identity,
            leaseDurationSeconds,
            // Read back as a string: re-wrap so it serialises with six fractional digits.
            acquireTime:
              mine && spec.acquireTime ? new V1MicroTime(Date.parse(String(spec.acquireTime))) : micro,
            renewTime: micro,
            leaseTransitions: mine ? transitions : transitions + 1,
          },
        },
      });
      this.#observedHolder = c.identity;
      this.#confirm(c.identity, now.getTime());
      return 'held';
    } catch (e) {
      return this.#fail(e, 'update');
    }
  }

  /** `identity` holds a valid Lease at `at`. */
  #confirm(identity: string, at: number): void {
    const since = this.#confirmed?.identity === identity ? this.#confirmed.since : at;
    this.#confirmed = { identity, since, at };
  }

  #fail(e: unknown, write?: 'create' | 'update'): 'failed' {
    const err = this.#failed(e);
    if (write) this.#c.onWriteError(write, err);
    return 'failed';
  }

  #failed(e: unknown): KubeError {
    const err = kubeError(e);
    this.#lastError = err;
    this.#c.onError(err);
    return err;
  }
}

/**
 * True when a lease last seen changing at `observedAt` (this replica's clock, ms) is no longer
 * valid at `now` for a duration of `seconds`. The holder's `renewTime` is not compared with the
 * local clock (client-go does not either): a node whose clock runs ahead would take over early.
 * A missing duration counts as expired.
 */
export function expired(observedAt: number, seconds: number | undefined, now: number): boolean {
  if (seconds === undefined) return true;
  return observedAt + seconds * 1000 < now;
}
