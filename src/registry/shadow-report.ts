/**
 * The shadow report: every version in shadow now (from the snapshot) and every version shadow runs
 * counted (from the recorder), with its agreement with production since it first ran and one
 * sentence for people. One call for `GET /v1/shadow`, `/v1/status` and the CLI's `shadow report`.
 */
import { productionVersion, type ShadowSource } from '../engine/index.ts';
import {
  SHADOW_RESULTS,
  type ShadowDifference,
  type ShadowResult,
  type ShadowStats,
} from '../usage/index.ts';
import type { Snapshot } from './snapshot.ts';

export type ShadowReportEntry = {
  readonly namespace: string;
  readonly policy: string;
  readonly versionNumber: number;
  readonly policyId: string;
  /** The version production runs beside it now; null when the policy has none. */
  readonly productionVersion: number | null;
  /** Whether it is in shadow now; its rate and who put it there when it is. */
  readonly active: boolean;
  readonly sampleRate: number | null;
  readonly source: ShadowSource | null;
  /** Epoch milliseconds; null before its first run. */
  readonly since: number | null;
  readonly lastRunAt: number | null;
  readonly runs: number;
  readonly skipped: number;
  /** The share of runs that agreed with production; null before the first run. */
  readonly agreement: number | null;
  readonly results: Readonly<Record<ShadowResult, number>>;
  readonly productionAllowed: number;
  readonly productionBlocked: number;
  readonly errors: number;
  readonly byGuardrail: ShadowStats['byGuardrail'];
  /** E.g. "v3 would have blocked 41 of 12,380 calls production allowed; 40 by `prompt-injection`". */
  readonly summary: string;
};

export type ShadowReport = {
  readonly shadows: readonly ShadowReportEntry[];
  /** Differing decisions, newest first (never text). */
  readonly recent: readonly ShadowDifference[];
};

export type ShadowFilter = { readonly namespace?: string; readonly policy?: string };

const zero = (): Record<ShadowResult, number> =>
  Object.fromEntries(SHADOW_RESULTS.map((r) => [r, 0])) as Record<ShadowResult, number>;

/** The report, by namespace, policy and version number. Deterministic for the same inputs. */
export function shadowReport(
  snapshot: Snapshot,
  stats: readonly ShadowStats[],
  recent: readonly ShadowDifference[],
  filter: ShadowFilter = {},
): ShadowReport {
  const keep = (ns: string, policy: string) =>
    (filter.namespace === undefined || filter.namespace === ns) &&
    (filter.policy === undefined || filter.policy === policy);
  const entries = new Map<string, ShadowReportEntry>();
  const productionOf = (ns: string, policy: string): number | null => {
    const h = snapshot.namespaces.get(ns)?.histories.find((x) => x.name === policy && x.active);
    return (h && productionVersion(h)?.versionNumber) ?? null;
  };
  for (const s of stats) {
    const { namespace, policy, policyId, versionNumber } = s.subject;
    if (!keep(namespace, policy)) continue;
    entries.set(`${namespace}\0${policy}\0${policyId}`, {
      namespace,
      policy,
      versionNumber,
      policyId,
      productionVersion: productionOf(namespace, policy),
      active: false,
      sampleRate: null,
      source: null,
      since: s.since,
      lastRunAt: s.lastRunAt,
      runs: s.runs,
      skipped: s.skipped,
      agreement: s.runs === 0 ? null : s.results.agree / s.runs,
      results: s.results,
      productionAllowed: s.productionAllowed,
      productionBlocked: s.productionBlocked,
      errors: s.errors,
      byGuardrail: s.byGuardrail,
      summary: '',
    });
  }
  for (const view of snapshot.namespaces.values()) {
    for (const t of view.shadows) {
      if (!keep(t.namespace, t.policy)) continue;
      const key = `${t.namespace}\0${t.policy}\0${t.version.policyId}`;
      const counted = entries.get(key);
      entries.set(key, {
        ...(counted ?? {
          namespace: t.namespace,
          policy: t.policy,
          versionNumber: t.version.versionNumber,
          policyId: t.version.policyId,
          productionVersion: productionOf(t.namespace, t.policy),
          since: null,
          lastRunAt: null,
          runs: 0,
          skipped: 0,
          agreement: null,
          results: zero(),
          productionAllowed: 0,
          productionBlocked: 0,
          errors: 0,
          byGuardrail: [],
          summary: '',
        }),
        active: true,
        sampleRate: t.sampleRate,
        source: t.source,
      });
    }
  }
  const shadows = [...entries.values()]
    .map((e) => ({ ...e, summary: summarize(e) }))
    .sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) ||
        a.policy.localeCompare(b.policy) ||
        a.versionNumber - b.versionNumber,
    );
  return {
    shadows,
    recent: recent.filter((d) => keep(d.namespace, d.policy)),
  };
}

const n = (x: number): string => x.toLocaleString('en-US');
const calls = (x: number): string => `${n(x)} call${x === 1 ? '' : 's'}`;

/** The guardrails that made `result`'s differences, most first: "40 by `prompt-injection`, 1 by `pii`". */
function by(e: Pick<ShadowReportEntry, 'byGuardrail'>, result: ShadowResult): string {
  const named = e.byGuardrail.filter((g) => g.result === result && g.guardrail !== '').slice(0, 3);
  return named.length === 0 ? '' : `; ${named.map((g) => `${n(g.count)} by \`${g.guardrail}\``).join(', ')}`;
}

/** One sentence for people about what the shadow found so far. */
function summarize(e: Omit<ShadowReportEntry, 'summary'>): string {
  const v = `v${e.versionNumber}`;
  const where = e.productionVersion === null ? 'no production version' : `production v${e.productionVersion}`;
  if (e.runs === 0) {
    const state = e.active
      ? `in shadow at ${pct(e.sampleRate ?? 0)} of calls beside ${where}`
      : 'no longer in shadow';
    return `${v} ${state}: no run yet${e.skipped > 0 ? ` (${calls(e.skipped)} skipped at the concurrency cap)` : ''}`;
  }
  const r = e.results;
  const parts: string[] = [];
  if (r.would_block > 0)
    parts.push(
      `would have blocked ${n(r.would_block)} of ${calls(e.productionAllowed)} production allowed${by(e, 'would_block')}`,
    );
  if (r.would_allow > 0)
    parts.push(
      `would have allowed ${n(r.would_allow)} of ${calls(e.productionBlocked)} production blocked${by(e, 'would_allow')}`,
    );
  if (r.mask_differs > 0)
    parts.push(`would have masked differently on ${calls(r.mask_differs)}${by(e, 'mask_differs')}`);
  if (r.error > 0)
    parts.push(`had guardrail errors production did not on ${calls(r.error)}${by(e, 'error')}`);
  if (r.cannot_decide > 0)
    parts.push(`could not decide (or production could not) on ${calls(r.cannot_decide)}`);
  const agreement = `agreed with ${where} on ${pct(r.agree / e.runs)} of ${calls(e.runs)}`;
  const skipped = e.skipped > 0 ? `; ${calls(e.skipped)} skipped at the concurrency cap` : '';
  return parts.length === 0
    ? `${v} ${agreement}${skipped}`
    : `${v} ${parts.join('; ')} (${agreement})${skipped}`;
}

/** `99.67%`, `50%`: two decimals at most, trailing zeros dropped. */
function pct(x: number): string {
  return `${Number((x * 100).toFixed(2))}%`;
}
