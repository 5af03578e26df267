/**
 * Shadow runs on the wire: the report (`GET /v1/shadow`, the `shadows` of `/v1/status`) and the
 * API's start of a shadow (`POST /policies/{policy_id}/shadow`). Never message text: contexts are
 * team, key, model and tags; verdicts are their kinds.
 */
import { SHADOW_SOURCES } from '../../engine/index.ts';
import type { ShadowReport, ShadowReportEntry } from '../../registry/index.ts';
import { SHADOW_RESULTS, SHADOW_VERDICTS } from '../../usage/index.ts';
import { type FromSchema, INTEGER, NULLABLE_STRING, object, STRING, STRINGS } from './schema.ts';

const NULLABLE_NUMBER = { type: ['number', 'null'] } as const;
const NULLABLE_INTEGER = { type: ['integer', 'null'] } as const;
const BOOLEAN = { type: 'boolean' } as const;
const RATE = { type: 'number', minimum: 0, maximum: 1 } as const;

const RESULT_COUNTS = object(
  Object.fromEntries(SHADOW_RESULTS.map((r) => [r, INTEGER])) as Record<
    (typeof SHADOW_RESULTS)[number],
    typeof INTEGER
  >,
  SHADOW_RESULTS,
);

/** One version in shadow: what it found since it first ran. Times are ISO 8601. */
export const SHADOW_ENTRY = object(
  {
    namespace: STRING,
    policy_name: STRING,
    version_number: INTEGER,
    policy_id: STRING,
    production_version: NULLABLE_INTEGER,
    active: BOOLEAN,
    sample_rate: NULLABLE_NUMBER,
    source: { enum: [...SHADOW_SOURCES, null] },
    since: NULLABLE_STRING,
    last_run_at: NULLABLE_STRING,
    runs: INTEGER,
    skipped: INTEGER,
    /** The share of runs that decided as production did; null before the first run. */
    agreement: NULLABLE_NUMBER,
    results: RESULT_COUNTS,
    production_allowed: INTEGER,
    production_blocked: INTEGER,
    errors: INTEGER,
    differences_by_guardrail: {
      type: 'array',
      items: object(
        { guardrail: STRING, result: { enum: SHADOW_RESULTS.filter((r) => r !== 'agree') }, count: INTEGER },
        ['guardrail', 'result', 'count'],
      ),
    },
    summary: STRING,
  },
  [
    'namespace',
    'policy_name',
    'version_number',
    'policy_id',
    'production_version',
    'active',
    'sample_rate',
    'source',
    'since',
    'last_run_at',
    'runs',
    'skipped',
    'agreement',
    'results',
    'production_allowed',
    'production_blocked',
    'errors',
    'differences_by_guardrail',
    'summary',
  ],
);

const DIFFERENCE = object(
  {
    at: STRING,
    namespace: STRING,
    policy_name: STRING,
    version_number: INTEGER,
    policy_id: STRING,
    result: { enum: SHADOW_RESULTS.filter((r) => r !== 'agree') },
    guardrail: NULLABLE_STRING,
    production_verdict: { enum: SHADOW_VERDICTS },
    shadow_verdict: { enum: SHADOW_VERDICTS },
    context: object(
      { team_alias: NULLABLE_STRING, key_alias: NULLABLE_STRING, model: NULLABLE_STRING, tags: STRINGS },
      ['team_alias', 'key_alias', 'model', 'tags'],
    ),
  },
  [
    'at',
    'namespace',
    'policy_name',
    'version_number',
    'policy_id',
    'result',
    'guardrail',
    'production_verdict',
    'shadow_verdict',
    'context',
  ],
);

/** `GET /v1/shadow`. */
export const SHADOW_REPORT = object(
  {
    shadows: { type: 'array', items: SHADOW_ENTRY },
    /** Differing decisions, newest first, at most `limit`. */
    recent_differences: { type: 'array', items: DIFFERENCE },
  },
  ['shadows', 'recent_differences'],
);

export type WireShadowReport = FromSchema<typeof SHADOW_REPORT>;

/** `POST /policies/{policy_id}/shadow`: the share of calls the version also runs on. */
export const SHADOW_START_REQUEST = object({ sample_rate: RATE }, ['sample_rate']);

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toWireShadowEntry(e: ShadowReportEntry): FromSchema<typeof SHADOW_ENTRY> {
  return {
    namespace: e.namespace,
    policy_name: e.policy,
    version_number: e.versionNumber,
    policy_id: e.policyId,
    production_version: e.productionVersion,
    active: e.active,
    sample_rate: e.sampleRate,
    source: e.source,
    since: iso(e.since),
    last_run_at: iso(e.lastRunAt),
    runs: e.runs,
    skipped: e.skipped,
    agreement: e.agreement,
    results: { ...e.results },
    production_allowed: e.productionAllowed,
    production_blocked: e.productionBlocked,
    errors: e.errors,
    differences_by_guardrail: e.byGuardrail.map((g) => ({ ...g })),
    summary: e.summary,
  };
}

export function toWireShadowReport(r: ShadowReport, limit: number): FromSchema<typeof SHADOW_REPORT> {
  return {
    shadows: r.shadows.map(toWireShadowEntry),
    recent_differences: r.recent.slice(0, limit).map((d) => ({
      at: new Date(d.at).toISOString(),
      namespace: d.namespace,
      policy_name: d.policy,
      version_number: d.versionNumber,
      policy_id: d.policyId,
      result: d.result,
      guardrail: d.guardrail,
      production_verdict: d.production,
      shadow_verdict: d.shadow,
      context: {
        team_alias: d.context.team,
        key_alias: d.context.key,
        model: d.context.model,
        tags: [...d.context.tags],
      },
    })),
  };
}
