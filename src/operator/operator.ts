/**
 * Kubernetes mode (`railyard serve --kubernetes`), wired: the Kubernetes source and the cluster
 * store feed the one controller; leader election decides who writes. Every replica watches and
 * serves reads from its own caches. Only the leader records versions, writes statuses and Events;
 * followers observe the histories the leader writes. The histories are ConfigMaps in the
 * operator's own namespace; the HTTP API does not write in this mode (serve answers 405), so the
 * cluster's objects are all that is enforced.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { Gauge } from 'prom-client';
import { LeaderElector } from '../kube/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import type { Controller, PassReport } from '../reconcile/index.ts';
import type { Registry } from '../registry/index.ts';
import { KubernetesSource } from '../sources/kubernetes/index.ts';
import { ClusterStore, DEFAULT_HISTORY_DRAFTS } from '../store/cluster/index.ts';
import type { Backoff } from '../time/index.ts';
import { EventRecorder, statusEvents, versionEvents } from './events.ts';
import { type ShadowCounts, StatusWriter } from './status-writer.ts';

export const LEASE_NAME = 'railyard-leader';
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export type OperatorConfig = {
  readonly kubeConfig: KubeConfig;
  /** Namespaces to watch; empty means all. */
  readonly namespaces: readonly string[];
  /** Where the Lease lives (default: the pod's namespace, else `default`). */
  readonly leaseNamespace: string;
  /** Where the history ConfigMaps live (default: the pod's namespace, else `default`). */
  readonly historyNamespace: string;
  /** Retention: drafts kept per history besides the production, latest and published versions. */
  readonly historyDrafts: number;
  /** This replica in the Lease and on Events (default: `POD_NAME`, else the host name). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** `/readyz` fails once an informer has been unhealthy this long (default 30 s). */
  readonly unhealthyAfterMs: number;
  /** Informer restart backoff. */
  readonly backoff: Backoff;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** What shadow runs counted on this replica: the leader writes it on the policies in shadow. */
  readonly shadowCounts?: () => readonly ShadowCounts[];
  /** How often the leader refreshes the shadow counts on policy statuses (default 15 s). */
  readonly shadowStatusEveryMs: number;
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
    historyNamespace: podNamespace(),
    historyDrafts: DEFAULT_HISTORY_DRAFTS,
    identity: process.env.POD_NAME || hostname(),
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    unhealthyAfterMs: 30_000,
    backoff: { initialMs: 500, maxMs: 10_000, jitter: 0.2 },
    shadowStatusEveryMs: 15_000,
    ...o,
  };
}

export class Operator {
  /** The version store: ConfigMaps in the operator's own namespace. */
  readonly store: ClusterStore;
  /** The railyard.dev objects: what the controller reconciles. */
  readonly source: KubernetesSource;
  readonly #c: OperatorConfig;
  readonly #status: StatusWriter;
  readonly #events: EventRecorder;
  #registry: Registry | undefined;
  #leading: AbortSignal | undefined;
  #unhealthySince: number | undefined;

  /** Builds the parts; nothing talks to the API server before `startStore`. */
  constructor(config: Pick<OperatorConfig, 'kubeConfig' | 'log' | 'metrics'> & Partial<OperatorConfig>) {
    const c = operatorConfig(config);
    this.#c = c;
    const informer = {
      backoff: c.backoff,
      onError: (error: unknown) => c.log.warn({ err: error }, 'informer restarting after an error'),
    };
    this.store = new ClusterStore({
      kubeConfig: c.kubeConfig,
      namespace: c.historyNamespace,
      policyNamespaces: c.namespaces,
      drafts: c.historyDrafts,
      informer,
      onInvalid: (message) => c.log.error(message),
    });
    this.source = new KubernetesSource({ kubeConfig: c.kubeConfig, namespaces: c.namespaces, informer });
    this.#events = new EventRecorder({
      kubeConfig: c.kubeConfig,
      identity: c.identity,
      onError: (err) => c.log.warn({ err }, 'event not recorded'),
    });
    this.#status = new StatusWriter({
      kubeConfig: c.kubeConfig,
      object: (key) => this.source.object(key),
      snapshot: () => this.#requireRegistry().snapshot(),
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
      ...(c.shadowCounts ? { shadowCounts: c.shadowCounts } : {}),
    });
    this.#registerMetrics();
  }

  /** Starts watching the store's ConfigMaps: call before `registry.load()`, which waits for their list. */
  async startStore(signal: AbortSignal): Promise<void> {
    await this.store.start(signal);
  }

  /**
   * After every pass the registry committed: the leader records Events for new versions and
   * versions retention dropped, and queues the status writes the pass calls for.
   */
  readonly onPass = (pass: PassReport): void => {
    const leading = this.#leading;
    if (leading && !leading.aborted) {
      for (const change of pass.changes) {
        if (change.kind !== 'version' && change.kind !== 'pruned') continue;
        const object = this.source.object(change.key);
        if (object)
          for (const ev of versionEvents(change)) void this.#events.record(object, change.key.kind, ev);
      }
    }
    this.#status.enqueueDiffs();
  };

  /**
   * Campaigns for leadership until `signal` aborts: the leader records versions (the controller
   * applies every policy again when it takes over) and writes statuses. Then releases the Lease
   * (so another replica takes over at once) and stops the store's watch. `registry` must be
   * loaded from `this.store`, and `controller` reconcile `this.source` into it. Never rejects.
   */
  async run(registry: Registry, controller: Controller, signal: AbortSignal): Promise<void> {
    this.#registry = registry;
    registry.setVersioning('observe');
    const unsubscribe = this.store.onForeignChange(() => controller.reload());
    const elector = new LeaderElector(this.#c.kubeConfig, {
      namespace: this.#c.leaseNamespace,
      name: LEASE_NAME,
      identity: this.#c.identity,
      leaseDurationMs: this.#c.leaseDurationMs,
      renewDeadlineMs: this.#c.renewDeadlineMs,
      retryPeriodMs: this.#c.retryPeriodMs,
      onStartedLeading: (leading) => {
        this.#leading = leading;
        this.#c.log.info({ identity: this.#c.identity }, 'became leader');
        registry.setVersioning('apply');
        controller.reapply();
        void this.#status.run(leading);
      },
      onStoppedLeading: () => {
        this.#leading = undefined;
        registry.setVersioning('observe');
        this.#c.log.info({ identity: this.#c.identity }, 'stopped leading');
      },
      onError: (err) => this.#c.log.debug({ err }, 'leader election call failed'),
    });
    const health = setInterval(() => this.#trackHealth(), 1_000);
    // Shadow counts move with traffic, not with passes: refresh the policies in shadow now and then.
    const shadows = setInterval(
      () => this.#status.enqueueDiffs((s) => s.policy?.shadow !== undefined),
      this.#c.shadowStatusEveryMs,
    );
    const campaign = new AbortController();
    const elected = elector.run(campaign.signal);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(health);
    clearInterval(shadows);
    const released = await elector.release();
    campaign.abort();
    await elected;
    unsubscribe();
    if (released.outcome === 'released') this.#c.log.info('released the leader lease');
    await this.store.stop();
  }

  /** For `/readyz`: the informers have synced, and none has been failing for longer than allowed. */
  ready(): { ok: boolean; reason?: string } {
    if (!this.source.synced()) return { ok: false, reason: 'informers have not synced yet' };
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
    const healthy = this.source.trouble() === undefined && this.store.healthy();
    if (healthy) this.#unhealthySince = undefined;
    else this.#unhealthySince ??= Date.now();
  }

  #requireRegistry(): Registry {
    if (!this.#registry) throw new Error('Operator.run has not been called');
    return this.#registry;
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
    const source = this.source;
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
        this.set(source.trouble() === undefined ? 1 : 0);
      },
    });
  }
}
