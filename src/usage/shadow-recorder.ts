/**
 * What shadow runs found: per version in shadow, how many calls it ran on, how often it decided
 * as production did and how it differed (and by which guardrail), how many runs the concurrency
 * cap skipped, and a bounded log of the differing decisions. Never message text: a verdict is
 * counted by its kind, a mask difference was found by comparing digests, and a context is its
 * team, key, model and tags. Bounded: a fixed number of versions and of guardrails per version
 * (beyond, `other`), a fixed number of logged differences. `record` does no I/O.
 */
import { OTHER } from './recorder.ts';

/**
 * `agree`: the shadow decided as production did. `would_block`: it blocks (or answers in place of
 * the model) where production did not; `would_allow`: the reverse. `mask_differs`: neither blocks,
 * but what they mask differs. `error`: a guardrail errored in the shadow run and not in
 * production's, the verdicts otherwise agreeing. `cannot_decide`: one of them could not decide.
 */
export const SHADOW_RESULTS = [
  'agree',
  'would_block',
  'would_allow',
  'mask_differs',
  'error',
  'cannot_decide',
] as const;
export type ShadowResult = (typeof SHADOW_RESULTS)[number];

export const SHADOW_VERDICTS = ['allow', 'block', 'modify_response', 'mask', 'cannot_decide'] as const;
export type ShadowVerdict = (typeof SHADOW_VERDICTS)[number];

/** The version in shadow a run is about. */
export type ShadowSubject = {
  readonly namespace: string;
  readonly policy: string;
  readonly policyId: string;
  readonly versionNumber: number;
};

/** The request context of a logged difference, as the decision logs name it. */
type ShadowContext = {
  readonly team: string | null;
  readonly key: string | null;
  readonly model: string | null;
  readonly tags: readonly string[];
};

/** One shadow run. */
export type ShadowRun = {
  readonly subject: ShadowSubject;
  readonly result: ShadowResult;
  /** The guardrail that made the difference (none when they agree, or none decided). */
  readonly guardrail?: string;
  readonly production: ShadowVerdict;
  readonly shadow: ShadowVerdict;
  /** A guardrail errored in the shadow run. */
  readonly shadowErrors: boolean;
  readonly context: ShadowContext;
};

/** A logged difference: never text. `at` is epoch milliseconds. */
export type ShadowDifference = ShadowSubject & {
  readonly at: number;
  readonly result: Exclude<ShadowResult, 'agree'>;
  readonly guardrail: string | null;
  readonly production: ShadowVerdict;
  readonly shadow: ShadowVerdict;
  readonly context: ShadowContext;
};

/** What one version's shadow found since it first ran. Times are epoch milliseconds. */
export type ShadowStats = {
  readonly subject: ShadowSubject;
  readonly since: number;
  readonly lastRunAt: number | null;
  readonly runs: number;
  /** Runs the concurrency cap skipped (they were due by the sample rate). */
  readonly skipped: number;
  readonly results: Readonly<Record<ShadowResult, number>>;
  /** Runs where production allowed (or masked), and where it blocked. */
  readonly productionAllowed: number;
  readonly productionBlocked: number;
  /** Shadow runs in which a guardrail errored. */
  readonly errors: number;
  /** Differences by the guardrail that made them, most first. */
  readonly byGuardrail: readonly {
    readonly guardrail: string;
    readonly result: Exclude<ShadowResult, 'agree'>;
    readonly count: number;
  }[];
};

export type ShadowRecorderOptions = {
  /** Versions in shadow counted separately; beyond, they are counted under `other`. */
  readonly maxSubjects: number;
  /** Guardrails named per version; beyond, `other`. */
  readonly maxGuardrails: number;
  /** Differences kept in the log. */
  readonly recent: number;
  readonly now: () => number;
  /** Called after a change; must be cheap (a debounced save). */
  readonly onChange?: () => void;
};

const SHADOW_DEFAULTS = {
  maxSubjects: 64,
  maxGuardrails: 32,
  recent: 500,
  now: () => Date.now(),
} as const;

type Counts = {
  subject: ShadowSubject;
  since: number;
  lastRunAt: number | null;
  runs: number;
  skipped: number;
  results: Record<ShadowResult, number>;
  productionAllowed: number;
  productionBlocked: number;
  errors: number;
  /** `<result>\0<guardrail>` → count. */
  byGuardrail: Map<string, number>;
};

/** The saved form (in the usage file). */
export type ShadowState = {
  readonly version: 1;
  readonly subjects: readonly (Omit<Counts, 'byGuardrail'> & { byGuardrail: [string, number][] })[];
  readonly recent: readonly ShadowDifference[];
};

const zeroResults = (): Record<ShadowResult, number> =>
  Object.fromEntries(SHADOW_RESULTS.map((r) => [r, 0])) as Record<ShadowResult, number>;

const subjectKey = (s: ShadowSubject): string => `${s.namespace}\0${s.policy}\0${s.policyId}`;

const blocking = (v: ShadowVerdict): boolean => v === 'block' || v === 'modify_response';

export class ShadowRecorder {
  readonly #opts: ShadowRecorderOptions;
  /** Since the version first ran (restored across restarts). */
  readonly #counts = new Map<string, Counts>();
  /** Since this process started, for Prometheus counters (monotonic). */
  readonly #lifetime = new Map<string, Counts>();
  #recent: ShadowDifference[] = [];

  constructor(options: Partial<ShadowRecorderOptions> = {}) {
    this.#opts = { ...SHADOW_DEFAULTS, ...options };
  }

  /** Counts one run and logs it when it differs. O(1), no I/O; never throws. */
  record(run: ShadowRun): void {
    const at = this.#opts.now();
    for (const counts of this.#both(run.subject, at)) {
      counts.runs++;
      counts.lastRunAt = at;
      counts.results[run.result]++;
      if (blocking(run.production)) counts.productionBlocked++;
      else if (run.production !== 'cannot_decide') counts.productionAllowed++;
      if (run.shadowErrors) counts.errors++;
      if (run.result !== 'agree') {
        const g = this.#guardrail(counts, run.result, run.guardrail ?? '');
        counts.byGuardrail.set(g, (counts.byGuardrail.get(g) ?? 0) + 1);
      }
    }
    if (run.result !== 'agree') {
      this.#recent.push({
        ...this.#subject(run.subject),
        at,
        result: run.result,
        guardrail: run.guardrail ?? null,
        production: run.production,
        shadow: run.shadow,
        context: run.context,
      });
      if (this.#recent.length > this.#opts.recent)
        this.#recent.splice(0, this.#recent.length - this.#opts.recent);
    }
    this.#opts.onChange?.();
  }

  /** A run the sample rate called for and the concurrency cap skipped. */
  skipped(subject: ShadowSubject): void {
    for (const counts of this.#both(subject, this.#opts.now())) counts.skipped++;
    this.#opts.onChange?.();
  }

  /** Every version's stats, by namespace, policy and version number. */
  stats(): ShadowStats[] {
    return [...this.#counts.values()]
      .map(toStats)
      .sort(
        (a, b) =>
          a.subject.namespace.localeCompare(b.subject.namespace) ||
          a.subject.policy.localeCompare(b.subject.policy) ||
          a.subject.versionNumber - b.subject.versionNumber,
      );
  }

  /** The logged differences, newest first. */
  recent(): readonly ShadowDifference[] {
    return [...this.#recent].reverse();
  }

  /** Counts since this process started, for Prometheus. */
  lifetime(): ShadowStats[] {
    return [...this.#lifetime.values()].map(toStats);
  }

  state(): ShadowState {
    return {
      version: 1,
      subjects: [...this.#counts.values()].map((c) => ({ ...c, byGuardrail: [...c.byGuardrail] })),
      recent: [...this.#recent],
    };
  }

  /** Takes a saved state back; one it does not read is refused (false) and changes nothing. */
  restore(state: unknown): boolean {
    if (!isState(state)) return false;
    for (const c of state.subjects.slice(0, this.#opts.maxSubjects)) {
      this.#counts.set(subjectKey(c.subject), {
        ...c,
        results: { ...zeroResults(), ...c.results },
        byGuardrail: new Map(c.byGuardrail),
      });
    }
    this.#recent = state.recent.slice(-this.#opts.recent);
    return true;
  }

  /** The counts of `subject` since it first ran, and since this process started. */
  #both(subject: ShadowSubject, at: number): Counts[] {
    const s = this.#subject(subject);
    const key = subjectKey(s);
    return [this.#countsIn(this.#counts, key, s, at), this.#countsIn(this.#lifetime, key, s, at)];
  }

  #countsIn(map: Map<string, Counts>, key: string, subject: ShadowSubject, at: number): Counts {
    let c = map.get(key);
    if (c === undefined) {
      c = {
        subject,
        since: at,
        lastRunAt: null,
        runs: 0,
        skipped: 0,
        results: zeroResults(),
        productionAllowed: 0,
        productionBlocked: 0,
        errors: 0,
        byGuardrail: new Map(),
      };
      map.set(key, c);
    }
    return c;
  }

  /** The subject, or `other` once `maxSubjects` versions are counted (bounded label sets). */
  #subject(s: ShadowSubject): ShadowSubject {
    if (this.#counts.has(subjectKey(s)) || this.#counts.size < this.#opts.maxSubjects) return s;
    return { namespace: s.namespace, policy: OTHER, policyId: OTHER, versionNumber: 0 };
  }

  #guardrail(counts: Counts, result: ShadowResult, guardrail: string): string {
    const key = `${result}\0${guardrail}`;
    if (counts.byGuardrail.has(key)) return key;
    const names = new Set([...counts.byGuardrail.keys()].map((k) => k.split('\0')[1]));
    return names.has(guardrail) || names.size < this.#opts.maxGuardrails ? key : `${result}\0${OTHER}`;
  }
}

function toStats(c: Counts): ShadowStats {
  return {
    subject: c.subject,
    since: c.since,
    lastRunAt: c.lastRunAt,
    runs: c.runs,
    skipped: c.skipped,
    results: { ...c.results },
    productionAllowed: c.productionAllowed,
    productionBlocked: c.productionBlocked,
    errors: c.errors,
    byGuardrail: [...c.byGuardrail]
      .map(([k, count]) => {
        const [result, guardrail = ''] = k.split('\0');
        return { guardrail, result: result as Exclude<ShadowResult, 'agree'>, count };
      })
      .sort((a, b) => b.count - a.count || a.guardrail.localeCompare(b.guardrail)),
  };
}

function isState(v: unknown): v is ShadowState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    s.version === 1 &&
    Array.isArray(s.subjects) &&
    Array.isArray(s.recent) &&
    s.subjects.every((c: unknown) => {
      const x = c as Record<string, unknown>;
      const subject = x?.subject as Record<string, unknown> | undefined;
      return (
        typeof x === 'object' &&
        x !== null &&
        typeof subject?.namespace === 'string' &&
        typeof subject.policy === 'string' &&
        typeof subject.policyId === 'string' &&
        typeof subject.versionNumber === 'number' &&
        typeof x.runs === 'number' &&
        typeof x.results === 'object' &&
        Array.isArray(x.byGuardrail)
      );
    })
  );
}
