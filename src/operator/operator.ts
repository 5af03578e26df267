/**
 * Kubernetes mode (`railyard serve --kubernetes`), wired: the Kubernetes source and the cluster
 * store feed the one controller; leader election decides who writes. Every replica watches and
 * serves reads from its own caches. Only the leader records versions, writes statuses and Events;
 * followers observe the histories the leader writes. The histories are ConfigMaps in the
 * operator's own namespace; the HTTP API does not write in this mode (serve answers 405), so the
 * cluster's objects are all that is enforced.
 *
 * A replica that has synced stays ready when it loses the API server: it keeps serving its last
 * view, and `describe` and `railyard_source_stale_seconds` say since when that view is stale. A
 * replica that cannot read or take the Lease logs a warning with the RBAC it needs, and
 * `describe` and `railyard_leader_unknown_seconds` say for how long no leader has been known.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { Gauge } from 'prom-client';
import type { KubeError } from '../kube/index.ts';
import { LeaderElector } from '../kube/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import type { Controller, ControllerStatus, LeaderView, PassReport } from '../reconcile/index.ts';
import type { Registry } from '../registry/index.ts';
import type { SourceTrouble } from '../sources/index.ts';
import { KubernetesSource } from '../sources/kubernetes/index.ts';
import { ClusterStore, DEFAULT_HISTORY_DRAFTS } from '../store/cluster/index.ts';
import type { Backoff } from '../time/index.ts';
import { EventRecorder, statusEvents, versionEvents } from './events.ts';
import type { ShadowCounts } from './status-form.ts';
import { StatusWriter } from './status-writer.ts';

const LEASE_NAME = 'railyard-leader';
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
function podNamespace(): string {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

/** Fills in the defaults; leaves the caller's object alone. */
function operatorConfig(
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
  #elector: LeaderElector | undefined;
  /** When `run` began campaigning (epoch ms): no leader is known before the first Lease read. */
  #campaignSince: number | undefined;
  /** Since when the history ConfigMaps' watch has been failing (epoch ms). */
  #storeTroubleSince: number | undefined;
  /** When each distinct Lease warning was last logged (epoch ms): at most one a minute. */
  readonly #warned = new Map<string, number>();

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
      onWriteError: (verb) => c.metrics.kubeWriteFailed(verb, 'configmaps'),
    });
    this.source = new KubernetesSource({ kubeConfig: c.kubeConfig, namespaces: c.namespaces, informer });
    this.#events = new EventRecorder({
      kubeConfig: c.kubeConfig,
      identity: c.identity,
      onError: (err) => c.log.warn({ err }, 'event not recorded'),
      onWriteError: (verb) => c.metrics.kubeWriteFailed(verb, 'events'),
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
      onWriteError: (resource) => c.metrics.kubeWriteFailed('patch', resource),
      observer: c.metrics.workqueue('status', () => this.#status.metrics()),
      ...(c.shadowCounts ? { shadowCounts: c.shadowCounts } : {}),
    });
    // Someone else may have written a status (an older leader, a person): compare it again.
    this.source.onObjectChange((key) => this.#status.enqueue(key));
    this.#registerMetrics();
  }

  /** Starts watching the store's ConfigMaps: call before `registry.load()`, which waits for their list. */
  async startStore(signal: AbortSignal): Promise<void> {
    await this.store.start(signal);
  }

  /**
   * After every pass the registry committed: the leader records Events for new versions and
   * versions retention dropped, and queues the keys whose status the pass changed.
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
    this.#status.enqueueChanged();
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
      onError: (err) => this.#leaseFailed(err),
      onWriteError: (verb) => this.#c.metrics.kubeWriteFailed(verb, 'leases'),
    });
    this.#elector = elector;
    this.#campaignSince = Date.now();
    const health = setInterval(() => this.#trackHealth(), 1_000);
    // Shadow counts move with traffic, not with passes: refresh the policies in shadow now and then.
    const shadows = setInterval(
      () => this.#status.enqueueWhere((s) => s.policy?.shadow !== undefined),
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

  /**
   * For `/readyz`: ready once every informer has listed (the first pass is `serve`'s to check).
   * Losing the API server afterwards keeps the replica ready: it serves its last view, and
   * `describe` says how stale that is. Taking every replica out of the Service at once, while
   * their cached answers are still good, would only turn a control-plane outage into an outage
   * of every proxy's guardrails.
   */
  ready(): { ok: boolean; reason?: string } {
    if (!this.source.synced()) return { ok: false, reason: 'informers have not synced yet' };
    return { ok: true };
  }

  /**
   * Since when this replica's view of the cluster has been stale (an informer of the railyard.dev
   * objects or of the history ConfigMaps failing), and why; undefined while it is current.
   */
  staleness(): SourceTrouble | undefined {
    this.#trackHealth();
    const source = this.source.trouble();
    const store = this.#storeTroubleSince;
    if (store === undefined) return source;
    const message =
      'the watch of the history ConfigMaps is restarting; check that the API server is reachable';
    if (source === undefined) return { since: store, message };
    return { since: Math.min(source.since, store), message: `${source.message}; ${message}` };
  }

  /** The leader as this replica last saw it (see `LeaderView`), at `now` (epoch ms). */
  leader(now = Date.now()): LeaderView {
    const seen = this.#elector?.status();
    const confirmed = seen?.confirmed;
    const self = this.#leading !== undefined && !this.#leading.aborted;
    if (self) return { identity: this.#c.identity, self, since: confirmed?.since ?? now };
    if (confirmed && now - confirmed.at <= this.#c.leaseDurationMs) {
      return { identity: confirmed.identity, self: false, since: confirmed.since };
    }
    const error = seen?.lastError;
    return {
      self: false,
      unknownSince: confirmed?.at ?? this.#campaignSince ?? now,
      ...(error ? { error: `HTTP ${error.code || 'no answer'}: ${error.message}` } : {}),
    };
  }

  /** `status` (the controller's) with this replica's staleness as its source trouble, and the leader. */
  describe(status: ControllerStatus): ControllerStatus {
    const { source: _controllers, ...rest } = status;
    const stale = this.staleness();
    return { ...rest, ...(stale ? { source: stale } : {}), leader: this.leader() };
  }

  /** How long the oldest status write in flight has been running (ms): a wedged write shows here. */
  busyFor(): number {
    return this.#status.metrics().longestSeconds * 1000;
  }

  #trackHealth(): void {
    if (this.store.healthy()) this.#storeTroubleSince = undefined;
    else this.#storeTroubleSince ??= Date.now();
  }

  /**
   * A failed Lease call. Forbidden and missing-namespace answers never fix themselves: they are
   * warnings that name the fix, at most once a minute each; the rest (conflicts with the other
   * replicas, a restarting API server) are retried and logged at debug level.
   */
  #leaseFailed(err: KubeError): void {
    const { leaseNamespace: ns } = this.#c;
    const fix =
      err.code === 401 || err.code === 403
        ? `grant this replica's ServiceAccount get, create and update on leases.coordination.k8s.io in namespace "${ns}" (manifests/rbac.yaml: Role railyard and its RoleBinding)`
        : err.code === 404 && /^namespaces? /.test(err.message)
          ? `create namespace "${ns}" or set --lease-namespace to the operator's namespace`
          : undefined;
    if (fix === undefined) {
      this.#c.log.debug({ err }, 'leader election call failed');
      return;
    }
    const now = Date.now();
    const key = `${err.code} ${err.message}`;
    if (now - (this.#warned.get(key) ?? 0) < 60_000) return;
    this.#warned.set(key, now);
    this.#c.log.warn(
      { err, lease: `${ns}/${LEASE_NAME}`, identity: this.#c.identity },
      `cannot use the leader Lease ${ns}/${LEASE_NAME} (HTTP ${err.code}: ${err.message}): no replica can lead, so versions, statuses and Events are not written and edits do not take effect; ${fix}`,
    );
  }

  #requireRegistry(): Registry {
    if (!this.#registry) throw new Error('Operator.run has not been called');
    return this.#registry;
  }

  #registerMetrics(): void {
    const registers = [this.#c.metrics.registry];
    const leader = () => (this.#leading && !this.#leading.aborted ? 1 : 0);
    new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this replica leads (1) or not (0)',
      labelNames: ['name'] as const,
      registers,
      collect() {
        this.set({ name: LEASE_NAME }, leader());
      },
    });
    const stale = () => this.staleness();
    new Gauge({
      name: 'railyard_source_stale_seconds',
      help: 'Seconds since this replica last had a current view of the cluster (0 while it has one): it serves its last view meanwhile',
      registers,
      collect() {
        const trouble = stale();
        this.set(trouble ? (Date.now() - trouble.since) / 1000 : 0);
      },
    });
    const leaderView = () => this.leader();
    new Gauge({
      name: 'railyard_leader_unknown_seconds',
      help: 'Seconds for which this replica has known of no leader (0 while one is known): without one, edits do not take effect',
      registers,
      collect() {
        const view = leaderView();
        this.set(view.unknownSince === undefined ? 0 : (Date.now() - view.unknownSince) / 1000);
      },
    });
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
