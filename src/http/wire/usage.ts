/**
 * Usage in LiteLLM's shapes (`GET /policies/usage/overview`, `GET /guardrails/usage/overview`,
 * `GET /guardrails/usage/logs`), from what Railyard's enforcement decided. Rows carry LiteLLM's
 * fields (`requestsEvaluated`, `failRate` in percent, `status`, `trend`…) and Railyard's counts of
 * masks, errors and cannot-decide answers. `chart` has one point per hour bucket.
 */
import type { Counts, RecentDecision, UsageRecorder, UsageSubject } from '../../usage/index.ts';
import { type FromSchema, INTEGER, NULLABLE_STRING, object, STRING, STRINGS } from './schema.ts';

const NUMBER = { type: 'number' } as const;
const NULLABLE_NUMBER = { type: ['number', 'null'] } as const;
const UNITS = { type: 'object', additionalProperties: INTEGER } as const;

const USAGE_ROW = object(
  {
    id: STRING,
    name: STRING,
    namespace: STRING,
    type: STRING,
    provider: STRING,
    requestsEvaluated: INTEGER,
    failRate: NUMBER,
    avgScore: NULLABLE_NUMBER,
    avgLatency: NULLABLE_NUMBER,
    status: { enum: ['healthy', 'warning', 'critical'] },
    trend: { enum: ['up', 'down', 'stable'] },
    usageUnits: UNITS,
    blocked: INTEGER,
    masked: INTEGER,
    errors: INTEGER,
    cannotDecide: INTEGER,
  },
  [
    'id',
    'name',
    'namespace',
    'type',
    'provider',
    'requestsEvaluated',
    'failRate',
    'avgScore',
    'avgLatency',
    'status',
    'trend',
    'usageUnits',
    'blocked',
    'masked',
    'errors',
    'cannotDecide',
  ],
);
const CHART_POINT = object({ date: STRING, passed: INTEGER, blocked: INTEGER }, [
  'date',
  'passed',
  'blocked',
]);

export const USAGE_OVERVIEW_RESPONSE = object(
  {
    rows: { type: 'array', items: USAGE_ROW },
    chart: { type: 'array', items: CHART_POINT },
    totalRequests: INTEGER,
    totalBlocked: INTEGER,
    passRate: NUMBER,
    totalUsageUnits: UNITS,
    start: STRING,
    end: STRING,
    bucketSeconds: INTEGER,
  },
  [
    'rows',
    'chart',
    'totalRequests',
    'totalBlocked',
    'passRate',
    'totalUsageUnits',
    'start',
    'end',
    'bucketSeconds',
  ],
);

const USAGE_LOG = object(
  {
    id: STRING,
    timestamp: STRING,
    action: { enum: ['blocked', 'passed', 'flagged'] },
    score: NULLABLE_NUMBER,
    latency_ms: NULLABLE_NUMBER,
    model: NULLABLE_STRING,
    input_snippet: NULLABLE_STRING,
    output_snippet: NULLABLE_STRING,
    reason: NULLABLE_STRING,
    namespace: STRING,
    policies: STRINGS,
    guardrails: STRINGS,
  },
  [
    'id',
    'timestamp',
    'action',
    'score',
    'latency_ms',
    'model',
    'input_snippet',
    'output_snippet',
    'reason',
    'namespace',
    'policies',
    'guardrails',
  ],
);
export const USAGE_LOGS_RESPONSE = object(
  { logs: { type: 'array', items: USAGE_LOG }, total: INTEGER, page: INTEGER, page_size: INTEGER },
  ['logs', 'total', 'page', 'page_size'],
);

type Row = FromSchema<typeof USAGE_ROW>;

const percent = (part: number, whole: number): number =>
  whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0;
const statusOf = (failRate: number): Row['status'] =>
  failRate > 15 ? 'critical' : failRate > 5 ? 'warning' : 'healthy';
const trendOf = (now: number, before: number): Row['trend'] =>
  before <= 0 ? 'stable' : now - before > 0.5 ? 'up' : before - now > 0.5 ? 'down' : 'stable';

export type UsageWindow = { readonly from: number; readonly to: number };

/**
 * One row per name with usage in the window, and one (with zeros) per `known` name without; the
 * trend compares the fail rate with the window of the same length just before. Sorted by
 * namespace, then name.
 */
export function toWireUsageOverview(
  usage: UsageRecorder,
  subject: UsageSubject,
  window: UsageWindow,
  known: readonly { readonly namespace: string; readonly name: string }[],
  namespace: string | undefined,
): FromSchema<typeof USAGE_OVERVIEW_RESPONSE> {
  const inNamespace = (ns: string) => namespace === undefined || ns === namespace;
  const now = usage.window(window.from, window.to);
  const before = usage.window(window.from - (window.to - window.from), window.from);
  const rows = new Map<string, { namespace: string; name: string; counts: Counts; previous?: Counts }>();
  for (const k of known)
    if (inNamespace(k.namespace))
      rows.set(`${k.namespace}\u0000${k.name}`, { ...k, counts: [0, 0, 0, 0, 0] });
  for (const { label, counts } of now.labels.values()) {
    if (label.subject !== subject || !inNamespace(label.namespace)) continue;
    rows.set(`${label.namespace}\u0000${label.name}`, {
      namespace: label.namespace,
      name: label.name,
      counts,
    });
  }
  for (const { label, counts } of before.labels.values()) {
    const row = rows.get(`${label.namespace}\u0000${label.name}`);
    if (row && label.subject === subject) row.previous = counts;
  }
  const n = (c: Counts, i: number) => c[i] ?? 0;
  const wire = [...rows.values()]
    .sort((a, b) =>
      a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1,
    )
    .map((r): Row => {
      const failRate = percent(n(r.counts, 1), n(r.counts, 0));
      const previous = r.previous ? percent(n(r.previous, 1), n(r.previous, 0)) : 0;
      return {
        id: r.name,
        name: r.name,
        namespace: r.namespace,
        type: subject === 'policy' ? 'Policy' : 'Guardrail',
        provider: 'Railyard',
        requestsEvaluated: n(r.counts, 0),
        failRate,
        avgScore: null,
        avgLatency: null,
        status: statusOf(failRate),
        trend: trendOf(failRate, previous),
        usageUnits: {},
        blocked: n(r.counts, 1),
        masked: n(r.counts, 2),
        errors: n(r.counts, 3),
        cannotDecide: n(r.counts, 4),
      };
    });
  const chart = now.chart.map((p) => ({
    date: new Date(p.start).toISOString(),
    passed: n(p.totals, 0) - n(p.totals, 1),
    blocked: n(p.totals, 1),
  }));
  const totalRequests = chart.reduce((sum, p) => sum + p.passed + p.blocked, 0);
  const totalBlocked = chart.reduce((sum, p) => sum + p.blocked, 0);
  return {
    rows: wire,
    chart,
    totalRequests,
    totalBlocked,
    passRate: totalRequests > 0 ? percent(totalRequests - totalBlocked, totalRequests) : 100,
    totalUsageUnits: {},
    start: new Date(window.from).toISOString(),
    end: new Date(window.to).toISOString(),
    bucketSeconds: usage.bucketMs / 1000,
  };
}

export function toWireUsageLog(r: RecentDecision): FromSchema<typeof USAGE_LOG> {
  return {
    id: r.id,
    timestamp: new Date(r.at).toISOString(),
    action: r.action,
    score: null,
    latency_ms: r.latencyMs,
    model: r.model,
    input_snippet: null,
    output_snippet: null,
    reason: r.reason,
    namespace: r.namespace,
    policies: [...r.policies],
    guardrails: [...r.guardrails],
  };
}
