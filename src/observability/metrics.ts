import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

/** One lifetime usage count (see the usage recorder), structurally. */
type UsageCount = {
  readonly label: { readonly subject: string; readonly namespace: string; readonly name: string };
  readonly outcome: string;
  readonly value: number;
};

/** What shadow runs counted for one version since this process started, structurally. */
type ShadowCount = {
  readonly subject: { readonly namespace: string; readonly policy: string; readonly versionNumber: number };
  readonly skipped: number;
  readonly results: Readonly<Record<string, number>>;
  readonly byGuardrail: readonly {
    readonly guardrail: string;
    readonly result: string;
    readonly count: number;
  }[];
};

/** What the object gauge reads of a status. */
type ObjectStatusCounts = {
  readonly key: { readonly kind: string };
  readonly conditions: readonly { readonly type: string; readonly status: string }[];
};

/** What a work queue is doing now, read on every scrape. */
export type QueueState = {
  readonly depth: number;
  readonly unfinishedSeconds: number;
  readonly longestSeconds: number;
};

/** What one queue tells its `workqueue_*` series (the shape of reconcile's `QueueObserver`). */
export type WorkqueueSeries = {
  readonly added: () => void;
  readonly retried: () => void;
  readonly queued: (seconds: number) => void;
  readonly worked: (seconds: number) => void;
};

/** The write verbs of `railyard_kube_write_errors_total` (the API server's own verbs, lower case). */
const KUBE_WRITE_VERBS = ['create', 'update', 'patch', 'delete'] as const;
export type KubeWriteVerb = (typeof KUBE_WRITE_VERBS)[number];

/** client-go's workqueue duration buckets: 10 ns to 1,000 s, by tens. */
const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/**
 * Every metric Railyard exports, on one registry per process (tests build their own). Names follow
 * controller-runtime and client-go where one fits, so existing dashboards work. Label values come
 * from fixed lists (routes, queues, verbs and resources), never from objects or requests.
 */
export class Metrics {
  readonly registry = new Registry();
  /** The queues registered with `workqueue`, read on each scrape. */
  readonly #queues = new Map<string, () => QueueState>();
  /** Requests by route and method, as recorded; see `RequestSeries`. */
  readonly #requests = new Map<string, RequestSeries>();
  readonly httpRequests = new Counter({
    name: 'railyard_http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'code'] as const,
    registers: [this.registry],
    collect: () => {
      for (const series of this.#requests.values()) series.addCountsTo(this.httpRequests);
    },
  });
  readonly httpDuration = new SeriesHistogram(
    {
      name: 'railyard_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route', 'method'] as const,
      buckets: [...HTTP_BUCKETS],
      registers: [this.registry],
    },
    () => this.#requests.values(),
  );
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
  /** Read when scraped from what `watchAnswerCache` names. */
  readonly answerCacheBytes: Gauge = new Gauge({
    name: 'railyard_answer_cache_bytes',
    help: 'Estimated bytes held by the cache of resolve answers (bounded by its cap)',
    registers: [this.registry],
    collect: (): void => this.answerCacheBytes.set(this.#answerCache().bytes),
  });
  readonly answerCacheEntries: Gauge = new Gauge({
    name: 'railyard_answer_cache_entries',
    help: 'Answers held by the cache of resolve answers',
    registers: [this.registry],
    collect: (): void => this.answerCacheEntries.set(this.#answerCache().entries),
  });
  #answerCache: () => { readonly bytes: number; readonly entries: number } = () => ({ bytes: 0, entries: 0 });
  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciliations by controller and result',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Reconciliations that failed, by controller (each is retried with backoff)',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of reconciliations by controller',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Per policy, by outcome, since start: filled from `usageOf` when scraped. */
  readonly policyUsage = new Counter({
    name: 'railyard_policy_decisions_total',
    help: 'Enforcement decisions per policy and outcome (calls, blocks, masks, errors, cannot_decide); names past the cap count as "other"',
    labelNames: ['namespace', 'policy', 'outcome'] as const,
    registers: [this.registry],
    collect: () => this.#collectUsage('policy'),
  });
  /** Per guardrail, by outcome, since start: filled from `usageOf` when scraped. */
  readonly guardrailUsage = new Counter({
    name: 'railyard_guardrail_runs_total',
    help: 'Guardrail runs in enforcement decisions per guardrail and outcome (calls, blocks, masks, errors); names past the cap count as "other"',
    labelNames: ['namespace', 'guardrail', 'outcome'] as const,
    registers: [this.registry],
    collect: () => this.#collectUsage('guardrail'),
  });
  #usage: () => Iterable<UsageCount> = () => [];

  /** Where the usage counters read their counts (the usage recorder's lifetime counts). */
  usageOf(counts: () => Iterable<UsageCount>): void {
    this.#usage = counts;
  }

  #collectUsage(subject: 'policy' | 'guardrail'): void {
    const counter = subject === 'policy' ? this.policyUsage : this.guardrailUsage;
    counter.reset();
    for (const c of this.#usage()) {
      if (c.label.subject !== subject || c.value === 0) continue;
      const labels = { namespace: c.label.namespace, outcome: c.outcome };
      if (subject === 'policy') this.policyUsage.inc({ ...labels, policy: c.label.name }, c.value);
      else this.guardrailUsage.inc({ ...labels, guardrail: c.label.name }, c.value);
    }
  }

  readonly workqueueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Keys added to a work queue (de-duplicated adds are not counted)',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly workqueueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Keys re-added to a work queue with backoff after a failure',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly workqueueQueueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long a key waits in a work queue before a worker takes it',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers: [this.registry],
  });
  readonly workqueueWorkDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long processing one key of a work queue takes',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers: [this.registry],
  });
  readonly workqueueDepth = this.#queueGauge('workqueue_depth', 'Keys waiting in a work queue', 'depth');
  readonly workqueueUnfinished = this.#queueGauge(
    'workqueue_unfinished_work_seconds',
    'Seconds of work in progress in a work queue that has not been observed by work_duration yet',
    'unfinishedSeconds',
  );
  readonly workqueueLongest = this.#queueGauge(
    'workqueue_longest_running_processor_seconds',
    'How long the longest-running processor of a work queue has been running',
    'longestSeconds',
  );
  readonly kubeWriteErrors = new Counter({
    name: 'railyard_kube_write_errors_total',
    help: 'Writes to the Kubernetes API that failed (refused or unanswered), by verb and resource',
    labelNames: ['verb', 'resource'] as const,
    registers: [this.registry],
  });

  /**
   * The `workqueue_*` series of the queue `name` (its `name` label): returns what the queue calls
   * as it works; `state` is read on every scrape. A second call for a name replaces its state.
   */
  workqueue(name: string, state: () => QueueState): WorkqueueSeries {
    this.#queues.set(name, state);
    return {
      added: () => this.workqueueAdds.inc({ name }),
      retried: () => this.workqueueRetries.inc({ name }),
      queued: (seconds) => this.workqueueQueueDuration.observe({ name }, seconds),
      worked: (seconds) => this.workqueueWorkDuration.observe({ name }, seconds),
    };
  }

  /** Counts a write to the Kubernetes API that failed; `resource` as `configmaps`, `policies/status`. */
  kubeWriteFailed(verb: KubeWriteVerb, resource: string): void {
    this.kubeWriteErrors.inc({ verb, resource });
  }

  /**
   * Adds prom-client's default process and Node.js runtime metrics (`process_resident_memory_bytes`,
   * `process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, `nodejs_eventloop_lag_seconds`,
   * `nodejs_gc_duration_seconds`, …) to this registry. Once per process: `serve` calls it.
   */
  collectDefaults(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  #queueGauge(name: string, help: string, field: keyof QueueState): Gauge<'name'> {
    const queues = this.#queues;
    return new Gauge({
      name,
      help,
      labelNames: ['name'] as const,
      registers: [this.registry],
      collect() {
        for (const [queue, state] of queues) this.set({ name: queue }, state()[field]);
      },
    });
  }

  /** Where the answer cache gauges read from (the server's one cache). */
  watchAnswerCache(read: () => { readonly bytes: number; readonly entries: number }): void {
    this.#answerCache = read;
  }

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

  /** Shadow runs per version in shadow and result: filled from `shadowsOf` when scraped. */
  readonly shadowRuns = new Counter({
    name: 'railyard_shadow_runs_total',
    help: 'Shadow runs per policy version in shadow and result (agree, would_block, would_allow, mask_differs, error, cannot_decide); versions past the cap count as policy "other"',
    labelNames: ['namespace', 'policy', 'version', 'result'] as const,
    registers: [this.registry],
    collect: () => this.#collectShadows(),
  });
  /** Differences by the guardrail that made them (`other` past the cap per version). */
  readonly shadowDifferences = new Counter({
    name: 'railyard_shadow_differences_total',
    help: 'Shadow runs that decided otherwise than production, per version, result and the guardrail that made the difference ("" when none did)',
    labelNames: ['namespace', 'policy', 'version', 'result', 'guardrail'] as const,
    registers: [this.registry],
  });
  readonly shadowSkipped = new Counter({
    name: 'railyard_shadow_skipped_total',
    help: 'Shadow runs due by the sample rate that the concurrency cap skipped, per version',
    labelNames: ['namespace', 'policy', 'version'] as const,
    registers: [this.registry],
  });
  #shadows: () => Iterable<ShadowCount> = () => [];

  /** Where the shadow counters read their counts (the shadow recorder's, since start). */
  shadowsOf(counts: () => Iterable<ShadowCount>): void {
    this.#shadows = counts;
  }

  #collectShadows(): void {
    this.shadowRuns.reset();
    this.shadowDifferences.reset();
    this.shadowSkipped.reset();
    for (const c of this.#shadows()) {
      const base = {
        namespace: c.subject.namespace,
        policy: c.subject.policy,
        version: String(c.subject.versionNumber),
      };
      for (const [result, n] of Object.entries(c.results))
        if (n > 0) this.shadowRuns.inc({ ...base, result }, n);
      for (const g of c.byGuardrail)
        this.shadowDifferences.inc({ ...base, result: g.result, guardrail: g.guardrail }, g.count);
      if (c.skipped > 0) this.shadowSkipped.inc(base, c.skipped);
    }
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

  /**
   * Where the answers of one route and method are recorded. The fast path asks once per route and
   * keeps it; Express goes through `observeRequest`.
   */
  requestSeries(route: string, method: string): RequestSeries {
    const key = `${method} ${route}`;
    let series = this.#requests.get(key);
    if (series === undefined) {
      series = new RequestSeries({ route, method }, HTTP_BUCKETS);
      this.#requests.set(key, series);
    }
    return series;
  }

  observeRequest(route: string, method: string, code: number, seconds: number): void {
    this.requestSeries(route, method).record(code, seconds);
  }
}

const HTTP_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5,
];

type RequestLabels = { readonly route: string; readonly method: string };

/**
 * The answers of one route and method, recorded in plain fields on the request path and handed to
 * prom-client when scraped. A labelled `inc` plus `observe` builds and looks up a label string on
 * each call: about a tenth of the cost of answering a 304 (bench/, perf).
 */
export class RequestSeries {
  readonly labels: RequestLabels;
  readonly bounds: readonly number[];
  /** Answers by status code not yet added to the counter. */
  readonly #uncounted = new Map<number, number>();
  /** Observations per bucket, not cumulative (those above every bound are only in `count`). */
  readonly perBucket: number[];
  sum = 0;
  count = 0;

  constructor(labels: RequestLabels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.perBucket = new Array<number>(bounds.length).fill(0);
  }

  record(code: number, seconds: number): void {
    this.#uncounted.set(code, (this.#uncounted.get(code) ?? 0) + 1);
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++;
    if (i < this.bounds.length) this.perBucket[i] = (this.perBucket[i] as number) + 1;
    this.sum += seconds;
    this.count++;
  }

  addCountsTo(counter: Counter<'route' | 'method' | 'code'>): void {
    for (const [code, n] of this.#uncounted) counter.inc({ ...this.labels, code }, n);
    this.#uncounted.clear();
  }
}

/** The labels of an exposed bucket: a histogram's own, and the `le` of each bucket. */
type BucketLabels = 'route' | 'method' | 'le';
type HistogramValues = Awaited<ReturnType<Histogram<BucketLabels>['get']>>;

/** A histogram whose observations come from request series: the exposition prom-client gives one. */
class SeriesHistogram extends Histogram<BucketLabels> {
  readonly #config: HistogramConfiguration<BucketLabels>;
  readonly #series: () => Iterable<RequestSeries>;

  constructor(config: HistogramConfiguration<BucketLabels>, series: () => Iterable<RequestSeries>) {
    super(config);
    this.#config = config;
    this.#series = series;
  }

  override async get(): Promise<HistogramValues> {
    const values: HistogramValues['values'] = [];
    for (const s of this.#series()) {
      let cumulative = 0;
      s.bounds.forEach((le, i) => {
        cumulative += s.perBucket[i] as number;
        values.push({
          labels: { ...s.labels, le },
          value: cumulative,
          metricName: `${this.#config.name}_bucket`,
        });
      });
      values.push(
        { labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.#config.name}_bucket` },
        { labels: s.labels, value: s.sum, metricName: `${this.#config.name}_sum` },
        { labels: s.labels, value: s.count, metricName: `${this.#config.name}_count` },
      );
    }
    const { name, help, aggregator = 'sum' } = this.#config;
    // prom-client's typings declare `type` a numeric enum that does not exist at run time, where
    // every histogram says 'histogram'.
    return { name, help, type: 'histogram', aggregator, values } as unknown as HistogramValues;
  }

  /** prom-client's registry prints a metric from this method when it has one, else from `get`. */
  getForPromString(): Promise<HistogramValues> {
    return this.get();
  }
}
