/**
 * Kubernetes mode (`railyard serve --kubernetes`), wired: informers → reconcile passes → the
 * registry; histories in ConfigMaps (`ClusterStore`); leader election on a Lease. Every replica
 * watches and serves reads from its own caches. Only the leader records versions, writes statuses
 * and Events; followers observe the histories the leader writes. API writes go through the store
 * from any replica (resourceVersion preconditions keep them safe).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { Gauge } from 'prom-client';
import type { Backoff } from '../kube/index.ts';
import { LeaderElector } from '../kube/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import type { Registry } from '../registry/index.ts';
import { KubernetesSource } from '../sources/kubernetes/index.ts';
import { ClusterStore } from '../store/cluster/index.ts';
import { EventRecorder, statusEvents, versionEvents } from './events.ts';
import { StatusWriter } from './status-writer.ts';

export const LEASE_NAME = 'railyard-leader';
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export type OperatorConfig = {
  readonly kubeConfig: KubeConfig;
  /** Namespaces to watch; empty means all. */
  readonly namespaces: readonly string[];
  /** Where the Lease lives (default: the pod's namespace, else `default`). */
  readonly leaseNamespace: string;
  /** This replica in the Lease and on Events (default: `POD_NAME`, else the host name). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** Changes arriving within this window make one pass (default 20 ms). */
  readonly debounceMs: number;
  /** `/readyz` fails once an informer has been unhealthy this long (default 30 s). */
  readonly unhealthyAfterMs: number;
  /** Informer restart backoff. */
  readonly backoff: Backoff;
  readonly log: Logger;
  readonly metrics: Metrics;
};

/** The pod's namespace from its service account, else `default`. */
export function podNamespace(): string {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

/** Fills in the defaults; leaves the caller's object alone. */
export function operatorConfig(
  o: Pick<OperatorConfig, 'kubeConfig' | 'log' | 'metrics'> & Partial<OperatorConfig>,
): OperatorConfig {
  return {
    namespaces: [],
    leaseNamespace: podNamespace(),
    identity: process.env.POD_NAME || hostname(),
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    debounceMs: 20,
    unhealthyAfterMs: 30_000,
    backoff: { initialMs: 500, maxMs: 10_000, jitter: 0.2 },
    ...o,
  };
}

export class Operator {
  readonly store: ClusterStore;
  readonly #c: OperatorConfig;
  readonly #source: KubernetesSource;
  readonly #elector: LeaderElector;
  readonly #status: StatusWriter;
  readonly #events: EventRecorder;
  #app: Registry | undefined;
  #leading: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #draining = false;
  #again = false;
  #needPass = false;
  #needReload = false;
  #failures = 0;
  #unhealthySince: number | undefined;

  /** Builds the parts; nothing talks to the API server before `start`. */
  constructor(config: Pick<OperatorConfig, 'kubeConfig' | 'log' | 'metrics'> & Partial<OperatorConfig>) {
    const c = operatorConfig(config);
    this.#c = c;
    const informer = {
      backoff: c.backoff,
      onError: (error: unknown) => c.log.warn({ err: error }, 'informer restarting after an error'),
    };
    this.store = new ClusterStore({
      kubeConfig: c.kubeConfig,
      namespaces: c.namespaces,
      informer,
      onInvalid: (message) => c.log.error(message),
    });
    this.#source = new KubernetesSource({ kubeConfig: c.kubeConfig, namespaces: c.namespaces, informer });
    this.#events = new EventRecorder({
      kubeConfig: c.kubeConfig,
      identity: c.identity,
      onError: (err) => c.log.warn({ err }, 'event not recorded'),
    });
    this.#status = new StatusWriter({
      kubeConfig: c.kubeConfig,
      object: (key) => this.#source.object(key),
      snapshot: () => this.#requireApp().snapshot(),
      onPatched: (status, object, written) => {
        c.metrics.reconcileTotal.inc({ controller: 'status', result: 'success' });
        c.log.debug(
          { key: `${status.key.kind}/${status.key.namespace}/${status.key.name}`, status: written },
          'status written',
        );
        for (const ev of statusEvents(status)) void this.#events.record(object, status.key.kind, ev);
      },
      onError: (key, err) => {
        c.metrics.reconcileTotal.inc({ controller: 'status', result: 'error' });
        c.log.warn({ key, err }, 'status write failed; retrying');
      },
    });
    this.#elector = new LeaderElector(c.kubeConfig, {
      namespace: c.leaseNamespace,
      name: LEASE_NAME,
      identity: c.identity,
      leaseDurationMs: c.leaseDurationMs,
      renewDeadlineMs: c.renewDeadlineMs,
      retryPeriodMs: c.retryPeriodMs,
      onStartedLeading: (signal) => this.#startLeading(signal),
      onStoppedLeading: () => this.#stopLeading(),
      onError: (err) => c.log.debug({ err }, 'leader election call failed'),
    });
    this.#registerMetrics();
  }

  /** Starts the informers (the store's first): call before `app.load()`, which waits for the store's list. */
  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.store.start(signal), this.#source.start(signal)]);
  }

  /**
   * Reconciles into `app` and campaigns for leadership until `signal` aborts; then stops the
   * informers and releases the Lease (so another replica takes over at once). `app` must be loaded
   * from `this.store`. Never rejects.
   */
  async run(app: Registry, signal: AbortSignal): Promise<void> {
    this.#app = app;
    app.setVersioning('observe');
    this.#source.onChange(() => this.#kick('pass'));
    this.store.onForeignChange(() => this.#kick('reload'));
    const health = setInterval(() => this.#trackHealth(), 1_000);
    this.#kick('pass');
    const campaign = new AbortController();
    const elected = this.#elector.run(campaign.signal);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(health);
    clearTimeout(this.#timer);
    clearTimeout(this.#retry);
    const released = await this.#elector.release();
    campaign.abort();
    await elected;
    if (released.outcome === 'released') this.#c.log.info('released the leader lease');
    await Promise.all([this.store.stop(), this.#source.stop()]);
  }

  /** For `/readyz`: the informers have synced, and none has been failing for longer than allowed. */
  ready(): { ok: boolean; reason?: string } {
    if (!this.#source.synced()) return { ok: false, reason: 'informers have not synced yet' };
    this.#trackHealth();
    const since = this.#unhealthySince;
    if (since !== undefined && Date.now() - since > this.#c.unhealthyAfterMs) {
      return {
        ok: false,
        reason: `an informer has been failing for ${Math.round((Date.now() - since) / 1000)} s`,
      };
    }
    return { ok: true };
  }

  #trackHealth(): void {
    const healthy = this.#source.healthy() && this.store.healthy();
    if (healthy) this.#unhealthySince = undefined;
    else this.#unhealthySince ??= Date.now();
  }

  #requireApp(): Registry {
    if (!this.#app) throw new Error('Operator.run has not been called');
    return this.#app;
  }

  #startLeading(signal: AbortSignal): void {
    this.#leading = signal;
    this.#c.log.info({ identity: this.#c.identity }, 'became leader');
    this.#requireApp().setVersioning('apply');
    // A new leader applies every policy again: the old one may have died before recording a version.
    this.#source.invalidate();
    this.#kick('pass');
    void this.#status.run(signal);
  }

  #stopLeading(): void {
    this.#leading = undefined;
    this.#app?.setVersioning('observe');
    this.#c.log.info({ identity: this.#c.identity }, 'stopped leading');
  }

  /** Asks for a pass or a reload from the store, debounced; passes never run concurrently. */
  #kick(what: 'pass' | 'reload'): void {
    if (what === 'pass') this.#needPass = true;
    else this.#needReload = true;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, this.#c.debounceMs);
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      do {
        this.#again = false;
        await this.#step();
      } while (this.#again);
    } finally {
      this.#draining = false;
    }
  }

  async #step(): Promise<void> {
    const app = this.#requireApp();
    try {
      if (this.#needReload) {
        this.#needReload = false;
        await app.reloadFromStore(() => this.store.state());
        if (this.#leading && !this.#leading.aborted) {
          // Someone else changed the stored histories (an API write on another replica, a deleted
          // ConfigMap): re-apply every declared policy on top of them (idempotent).
          this.#source.invalidate();
          this.#needPass = true;
        }
      }
      if (this.#needPass && this.#source.synced()) {
        this.#needPass = false;
        await this.#pass(app);
      }
      this.#failures = 0;
      this.#status.enqueueDiffs();
    } catch (err) {
      // Most often a StoreConflict: another writer changed a history. Take the stored state and retry.
      this.#needPass = true;
      this.#needReload = true;
      const delay = Math.min(30_000, 200 * 2 ** this.#failures++);
      this.#c.log.warn(
        { err, retryInMs: delay },
        'reconcile pass failed; reloading the stored state and retrying',
      );
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.#kick('pass'), delay);
    }
  }

  async #pass(app: Registry): Promise<void> {
    const leading = this.#leading;
    const started = performance.now();
    const changes = await app.applyDeclared(this.#source.declaredInput());
    this.#c.metrics.reconcileTime.observe({ controller: 'declared' }, (performance.now() - started) / 1000);
    this.#c.metrics.reconcileTotal.inc({ controller: 'declared', result: 'success' });
    if (leading && !leading.aborted) {
      for (const change of changes) {
        if (change.kind !== 'version') continue;
        const object = this.#source.object(change.key);
        if (object)
          for (const ev of versionEvents(change)) void this.#events.record(object, change.key.kind, ev);
      }
    }
    if (!app.synced()) {
      app.markSynced();
      this.#c.log.info({ revision: app.snapshot().revision }, 'initial sync complete');
    }
  }

  #registerMetrics(): void {
    const registers = [this.#c.metrics.registry];
    const leader = () => (this.#leading && !this.#leading.aborted ? 1 : 0);
    const status = this.#status;
    new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this replica leads (1) or not (0)',
      labelNames: ['name'] as const,
      registers,
      collect() {
        this.set({ name: LEASE_NAME }, leader());
      },
    });
    const queueGauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['name'] as const,
        registers,
        collect() {
          this.set({ name: 'status' }, read());
        },
      });
    queueGauge('workqueue_depth', 'Keys waiting in the status work queue', () => status.metrics().depth);
    queueGauge('workqueue_adds_total', 'Keys added to the status work queue', () => status.metrics().adds);
    queueGauge(
      'workqueue_retries_total',
      'Status writes retried after a failure',
      () => status.metrics().retries,
    );
    const source = this.#source;
    new Gauge({
      name: 'railyard_informer_restarts_total',
      help: 'Informer restarts after an error',
      registers,
      collect() {
        this.set(source.restarts());
      },
    });
    new Gauge({
      name: 'railyard_informers_healthy',
      help: 'Whether every informer is listed and watching (1) or not (0)',
      registers,
      collect() {
        this.set(source.healthy() ? 1 : 0);
      },
    });
  }
}
