/**
 * What enforcement decided, counted per policy and per guardrail over a rolling window of time
 * buckets (hourly for a week by default), for LiteLLM's usage routes and Prometheus. Bounded:
 * a fixed number of buckets, a fixed number of names per kind (a new name past the cap is counted
 * as `other`), a fixed number of recent decisions. `record` is cheap and does no I/O; a change is
 * announced through `onChange` (the file store debounces its write).
 */

const USAGE_OUTCOMES = ['calls', 'blocks', 'masks', 'errors', 'cannot_decide'] as const;
export type UsageOutcome = (typeof USAGE_OUTCOMES)[number];
const CALLS = 0;
const BLOCKS = 1;
const MASKS = 2;
const ERRORS = 3;
const UNDECIDED = 4;
/** One count per outcome, in `USAGE_OUTCOMES` order. */
export type Counts = number[];

const USAGE_SUBJECTS = ['policy', 'guardrail'] as const;
export type UsageSubject = (typeof USAGE_SUBJECTS)[number];

/** The name a label past the cap is counted under. */
export const OTHER = 'other';

/** What a decision says that usage counts: the enforcement decision, read structurally. */
export type UsageDecision = {
  readonly namespace: string | null;
  readonly verdict:
    | { readonly kind: 'allow' | 'mask' }
    | { readonly kind: 'block' | 'modify_response'; readonly policy: string; readonly guardrail?: string }
    | { readonly kind: 'cannot_decide'; readonly reason: string };
  readonly policies: readonly { readonly policyName: string }[];
  readonly guardrails: readonly {
    readonly guardrail: string;
    readonly via: string;
    readonly outcome: 'pass' | 'fail' | 'error';
    readonly masked: boolean;
  }[];
  readonly durationMs: number;
};

export type UsageEvent = {
  readonly decision: UsageDecision;
  readonly callId?: string;
  readonly model?: string | null;
  readonly phase?: string;
};

/** One decision as the logs route lists it: never message text. */
export type RecentDecision = {
  readonly id: string;
  readonly at: number;
  readonly namespace: string;
  readonly action: 'passed' | 'blocked' | 'flagged';
  readonly latencyMs: number;
  readonly model: string | null;
  readonly policies: readonly string[];
  readonly guardrails: readonly string[];
  readonly reason: string | null;
};

export type UsageOptions = {
  /** Width of a bucket (an hour). */
  readonly bucketMs: number;
  /** Buckets kept: the window is `bucketMs * buckets` (a week of hours). */
  readonly buckets: number;
  /** Names kept per kind (policies, guardrails) over every namespace; beyond, `other`. */
  readonly maxNames: number;
  /** Recent decisions kept for the logs route. */
  readonly recent: number;
  readonly now: () => number;
  /** Called after a change, at most once per `record`; must be cheap (a debounced save). */
  readonly onChange?: () => void;
};

const USAGE_DEFAULTS = {
  bucketMs: 3_600_000,
  buckets: 168,
  maxNames: 500,
  recent: 1000,
  now: () => Date.now(),
} as const;

/** `<subject>\u0000<namespace>\u0000<name>`: one label. */
const labelKey = (subject: UsageSubject, namespace: string, name: string) =>
  `${subject}\u0000${namespace}\u0000${name}`;

export type UsageLabel = {
  readonly subject: UsageSubject;
  readonly namespace: string;
  readonly name: string;
};

function parseLabel(key: string): UsageLabel {
  const [subject, namespace = '', name = ''] = key.split('\u0000');
  return { subject: subject as UsageSubject, namespace, name };
}

const zero = (): Counts => [0, 0, 0, 0, 0];

/** The serialised state (the usage file): buckets by start time, recent decisions. */
export type UsageState = {
  readonly version: 1;
  readonly bucketMs: number;
  readonly buckets: readonly {
    readonly start: number;
    readonly totals: Counts;
    readonly labels: readonly (readonly [string, Counts])[];
  }[];
  readonly recent: readonly RecentDecision[];
};

type Bucket = { totals: Counts; labels: Map<string, Counts> };

export class UsageRecorder {
  readonly #opts: UsageOptions;
  readonly #buckets = new Map<number, Bucket>();
  /** Since this process started, for Prometheus counters (monotonic). */
  readonly #lifetime = new Map<string, Counts>();
  readonly #names = { policy: new Set<string>(), guardrail: new Set<string>() };
  #recent: RecentDecision[] = [];
  #sequence = 0;

  constructor(options: Partial<UsageOptions> = {}) {
    this.#opts = { ...USAGE_DEFAULTS, ...options };
  }

  get bucketMs(): number {
    return this.#opts.bucketMs;
  }

  /** Counts one decision. O(policies + guardrails), no I/O; never throws. */
  record(event: UsageEvent): void {
    const at = this.#opts.now();
    const d = event.decision;
    const ns = d.namespace ?? '';
    const bucket = this.#bucket(at);
    const add = (counts: Counts, outcome: number) => {
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    };
    const both = (key: string, outcome: number) => {
      add(this.#counts(bucket, key), outcome);
      let life = this.#lifetime.get(key);
      if (!life) {
        life = zero();
        this.#lifetime.set(key, life);
      }
      add(life, outcome);
    };
    const verdict = d.verdict;
    const decidedBy =
      verdict.kind === 'block' || verdict.kind === 'modify_response' ? verdict.policy : undefined;
    add(bucket.totals, CALLS);
    if (decidedBy !== undefined) add(bucket.totals, BLOCKS);
    if (verdict.kind === 'mask') add(bucket.totals, MASKS);
    if (verdict.kind === 'cannot_decide') add(bucket.totals, UNDECIDED);
    if (d.guardrails.some((g) => g.outcome === 'error')) add(bucket.totals, ERRORS);

    for (const { policyName } of d.policies) {
      const key = this.#label('policy', ns, policyName);
      const ran = d.guardrails.filter((g) => g.via.endsWith(`:${policyName}`));
      both(key, CALLS);
      if (decidedBy === policyName) both(key, BLOCKS);
      if (verdict.kind === 'mask' && ran.some((g) => g.masked)) both(key, MASKS);
      if (ran.some((g) => g.outcome === 'error')) both(key, ERRORS);
      if (verdict.kind === 'cannot_decide') both(key, UNDECIDED);
    }
    for (const g of d.guardrails) {
      const key = this.#label('guardrail', ns, g.guardrail);
      both(key, CALLS);
      if (g.outcome === 'fail') both(key, BLOCKS);
      if (g.masked) both(key, MASKS);
      if (g.outcome === 'error') both(key, ERRORS);
    }
    this.#remember(at, event);
    this.#opts.onChange?.();
  }

  /** Counts per label and per bucket start within `[from, to)`, and the totals per bucket. */
  window(
    from: number,
    to: number,
  ): {
    readonly labels: Map<string, { label: UsageLabel; counts: Counts }>;
    readonly chart: { start: number; totals: Counts }[];
  } {
    const labels = new Map<string, { label: UsageLabel; counts: Counts }>();
    const chart: { start: number; totals: Counts }[] = [];
    for (const [start, b] of [...this.#buckets].sort(([x], [y]) => x - y)) {
      if (start + this.#opts.bucketMs <= from || start >= to) continue;
      chart.push({ start, totals: [...b.totals] });
      for (const [key, counts] of b.labels) {
        let entry = labels.get(key);
        if (!entry) {
          entry = { label: parseLabel(key), counts: zero() };
          labels.set(key, entry);
        }
        counts.forEach((n, i) => {
          (entry as { counts: Counts }).counts[i] = ((entry as { counts: Counts }).counts[i] ?? 0) + n;
        });
      }
    }
    return { labels, chart };
  }

  /** The oldest instant the window still covers. */
  oldest(): number {
    const now = this.#opts.now();
    return this.#start(now) - (this.#opts.buckets - 1) * this.#opts.bucketMs;
  }

  /** The recent decisions, newest first. */
  recent(): readonly RecentDecision[] {
    return [...this.#recent].reverse();
  }

  /** Lifetime counts per label and outcome, for Prometheus. */
  *lifetime(): Generator<{ label: UsageLabel; outcome: UsageOutcome; value: number }> {
    for (const [key, counts] of this.#lifetime) {
      const label = parseLabel(key);
      for (let i = 0; i < USAGE_OUTCOMES.length; i++)
        yield { label, outcome: USAGE_OUTCOMES[i] as UsageOutcome, value: counts[i] ?? 0 };
    }
  }

  /** What a restart needs to keep the window: the buckets still in it and the recent decisions. */
  state(): UsageState {
    const oldest = this.oldest();
    return {
      version: 1,
      bucketMs: this.#opts.bucketMs,
      buckets: [...this.#buckets]
        .filter(([start]) => start >= oldest)
        .sort(([x], [y]) => x - y)
        .map(([start, b]) => ({
          start,
          totals: [...b.totals],
          labels: [...b.labels].map(([k, c]) => [k, [...c]] as const),
        })),
      recent: [...this.#recent],
    };
  }

  /**
   * Takes a saved state back (a restart). A state of another bucket width, or whose counts are not
   * what `state` writes, is refused: returns false and changes nothing.
   */
  restore(state: unknown): boolean {
    if (!isState(state) || state.bucketMs !== this.#opts.bucketMs) return false;
    const oldest = this.oldest();
    for (const b of state.buckets) {
      if (b.start < oldest) continue;
      const labels = new Map<string, Counts>();
      for (const [key, counts] of b.labels) {
        const { subject, name } = parseLabel(key);
        const names = this.#names[subject];
        if (name !== OTHER && !names.has(name)) {
          if (names.size >= this.#opts.maxNames) continue;
          names.add(name);
        }
        labels.set(key, [...counts]);
      }
      this.#buckets.set(b.start, { totals: [...b.totals], labels });
    }
    this.#recent = state.recent.slice(-this.#opts.recent);
    return true;
  }

  #start(at: number): number {
    return Math.floor(at / this.#opts.bucketMs) * this.#opts.bucketMs;
  }

  #bucket(at: number): Bucket {
    const start = this.#start(at);
    let b = this.#buckets.get(start);
    if (!b) {
      b = { totals: zero(), labels: new Map() };
      this.#buckets.set(start, b);
      const oldest = start - (this.#opts.buckets - 1) * this.#opts.bucketMs;
      for (const s of this.#buckets.keys()) if (s < oldest) this.#buckets.delete(s);
    }
    return b;
  }

  #counts(bucket: Bucket, key: string): Counts {
    let c = bucket.labels.get(key);
    if (!c) {
      c = zero();
      bucket.labels.set(key, c);
    }
    return c;
  }

  /** The label of a name, folded into `other` once the kind has `maxNames` names. */
  #label(subject: UsageSubject, namespace: string, name: string): string {
    const names = this.#names[subject];
    if (!names.has(name)) {
      if (names.size >= this.#opts.maxNames) return labelKey(subject, namespace, OTHER);
      names.add(name);
    }
    return labelKey(subject, namespace, name);
  }

  #remember(at: number, event: UsageEvent): void {
    const d = event.decision;
    const v = d.verdict;
    const action =
      v.kind === 'block' || v.kind === 'modify_response'
        ? 'blocked'
        : v.kind === 'mask' || v.kind === 'cannot_decide'
          ? 'flagged'
          : 'passed';
    const reason =
      v.kind === 'block' || v.kind === 'modify_response'
        ? `${v.kind === 'block' ? 'blocked' : 'answered'} by policy '${v.policy}'${v.guardrail ? `, guardrail '${v.guardrail}'` : ''}`
        : v.kind === 'cannot_decide'
          ? `cannot decide: ${v.reason}`
          : v.kind === 'mask'
            ? 'masked'
            : null;
    this.#recent.push({
      id: event.callId ?? `decision-${at}-${++this.#sequence}`,
      at,
      namespace: d.namespace ?? '',
      action,
      latencyMs: Math.round(d.durationMs * 1000) / 1000,
      model: event.model ?? null,
      policies: d.policies.map((p) => p.policyName),
      guardrails: [...new Set(d.guardrails.map((g) => g.guardrail))],
      reason,
    });
    if (this.#recent.length > this.#opts.recent)
      this.#recent.splice(0, this.#recent.length - this.#opts.recent);
  }
}

const isCounts = (v: unknown): v is Counts =>
  Array.isArray(v) && v.length === USAGE_OUTCOMES.length && v.every((n) => Number.isSafeInteger(n) && n >= 0);

function isState(v: unknown): v is UsageState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  if (
    s.version !== 1 ||
    typeof s.bucketMs !== 'number' ||
    !Array.isArray(s.buckets) ||
    !Array.isArray(s.recent)
  )
    return false;
  const bucketsOk = s.buckets.every((b: unknown) => {
    const x = b as Record<string, unknown>;
    return (
      typeof x === 'object' &&
      x !== null &&
      typeof x.start === 'number' &&
      isCounts(x.totals) &&
      Array.isArray(x.labels) &&
      x.labels.every(
        (l: unknown) =>
          Array.isArray(l) &&
          typeof l[0] === 'string' &&
          (l[0] as string).split('\u0000').length === 3 &&
          isCounts(l[1]),
      )
    );
  });
  const recentOk = s.recent.every(
    (r: unknown) => typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string',
  );
  return bucketsOk && recentOk;
}
