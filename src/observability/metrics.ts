import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the object gauge reads of a status. */
type ObjectStatusCounts = {
  readonly key: { readonly kind: string };
  readonly conditions: readonly { readonly type: string; readonly status: string }[];
};

/**
 * Every metric Railyard exports, on one registry per process (tests build their own). Names follow
 * controller-runtime and client-go where one fits, so existing dashboards work.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'railyard_http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'code'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'railyard_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly snapshotRevision = new Gauge({
    name: 'railyard_snapshot_revision',
    help: 'Revision of the snapshot being served',
    registers: [this.registry],
  });
  /** Counted when scraped, from what `countObjectsOf` names: a count per publish would delay every swap. */
  readonly objects = new Gauge({
    name: 'railyard_objects',
    help: 'Declared objects by kind and condition (Accepted/Ready) status',
    labelNames: ['kind', 'condition', 'status'] as const,
    registers: [this.registry],
    collect: () => this.#countObjects(),
  });
  #objectStatuses: () => readonly ObjectStatusCounts[] = () => [];
  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciliations by controller and result',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of reconciliations by controller',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Where the `railyard_objects` gauge reads the statuses it counts (those being served). */
  countObjectsOf(statuses: () => readonly ObjectStatusCounts[]): void {
    this.#objectStatuses = statuses;
  }

  #countObjects(): void {
    const counts = new Map<string, { kind: string; condition: string; status: string; n: number }>();
    for (const s of this.#objectStatuses()) {
      for (const c of s.conditions) {
        const key = `${s.key.kind}/${c.type}/${c.status}`;
        const entry = counts.get(key);
        if (entry) entry.n++;
        else counts.set(key, { kind: s.key.kind, condition: c.type, status: c.status, n: 1 });
      }
    }
    this.objects.reset();
    for (const { kind, condition, status, n } of counts.values())
      this.objects.set({ kind, condition, status }, n);
  }

  readonly decisionsTotal = new Counter({
    name: 'railyard_decisions_total',
    help: 'Enforcement decisions by proxy, phase and verdict (allow, block, mask, cannot_decide)',
    labelNames: ['proxy', 'phase', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly decisionDuration = new Histogram({
    name: 'railyard_decision_duration_seconds',
    help: 'Latency of enforcement decisions by proxy and phase',
    labelNames: ['proxy', 'phase'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** One observation per answered request, from the fast path and Express alike. */
  observeRequest(route: string, method: string, code: number, seconds: number): void {
    this.httpRequests.inc({ route, method, code });
    this.httpDuration.observe({ route, method }, seconds);
  }
}
