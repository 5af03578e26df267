/**
 * How a shadow run's decision differs from production's on the same call, as one result and the
 * guardrail that made the difference. Masks are compared by digests of the masked texts, never by
 * the texts; nothing returned holds message text. Pure.
 */
import { createHash } from 'node:crypto';
import type { ShadowResult } from '../usage/index.ts';
import type { Decision, Verdict } from './decision.ts';

export type Comparison = {
  readonly result: ShadowResult;
  /** The guardrail that made the difference, when one did. */
  readonly guardrail?: string;
  /** A guardrail errored in the shadow run. */
  readonly shadowErrors: boolean;
};

const blocking = (v: Verdict): boolean => v.kind === 'block' || v.kind === 'modify_response';

/** A digest of what a verdict does to the texts: the masked contents, or none for an unmasked answer. */
export function maskDigest(v: Verdict): string {
  if (v.kind !== 'mask') return 'unmasked';
  const hash = createHash('sha256');
  for (const m of v.messages) hash.update(`${m.content.length}:`).update(m.content);
  return hash.digest('hex');
}

const deciding = (v: Verdict): string | undefined =>
  v.kind === 'block' || v.kind === 'modify_response' ? v.guardrail : undefined;

/**
 * The result of a shadow run (see `SHADOW_RESULTS`), first that applies: one side could not
 * decide (`cannot_decide`, unless both could not); the shadow blocks where production did not
 * (`would_block`, by the shadow's deciding guardrail) or the reverse (`would_allow`, by
 * production's); neither blocks but their masks differ (`mask_differs`, by the first guardrail
 * that masked in one run only); a guardrail errored in the shadow run only (`error`); else
 * `agree`. Two blocks agree whatever their messages.
 */
export function compareDecisions(production: Decision, shadow: Decision): Comparison {
  const p = production.verdict;
  const s = shadow.verdict;
  const shadowErrors = shadow.guardrails.some((g) => g.outcome === 'error');
  const result = (r: ShadowResult, guardrail?: string): Comparison =>
    guardrail === undefined ? { result: r, shadowErrors } : { result: r, guardrail, shadowErrors };
  if ((p.kind === 'cannot_decide') !== (s.kind === 'cannot_decide')) return result('cannot_decide');
  if (p.kind === 'cannot_decide') return result('agree');
  if (blocking(s) && !blocking(p)) return result('would_block', deciding(s));
  if (!blocking(s) && blocking(p)) return result('would_allow', deciding(p));
  if (!blocking(s) && maskDigest(p) !== maskDigest(s)) {
    const masked = (d: Decision) => new Set(d.guardrails.filter((g) => g.masked).map((g) => g.guardrail));
    const inProduction = masked(production);
    const inShadow = masked(shadow);
    const only = [...inShadow].filter((g) => !inProduction.has(g));
    const gone = [...inProduction].filter((g) => !inShadow.has(g));
    return result('mask_differs', [...only, ...gone].sort()[0] ?? [...inShadow].sort()[0]);
  }
  const erred = (d: Decision) =>
    new Set(d.guardrails.filter((g) => g.outcome === 'error').map((g) => g.guardrail));
  const productionErred = erred(production);
  const newly = [...erred(shadow)].filter((g) => !productionErred.has(g)).sort();
  if (newly.length > 0) return result('error', newly[0]);
  return result('agree');
}
