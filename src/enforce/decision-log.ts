/**
 * What one enforcement call leaves behind: one structured log line and two metrics. The line names
 * the context, the policies with their versions, each guardrail's outcome and duration, and the
 * verdict; it never holds message text, a guardrail's detail, or the block message (both may quote
 * the checked text, e.g. a matched keyword or a webhook's explanation).
 */
import type { RequestContext } from '../engine/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import type { Decision, Phase } from './decision.ts';

const PROXIES = ['litellm', 'agentgateway'] as const;
export type ProxyName = (typeof PROXIES)[number];

export type DecisionEvent = {
  readonly proxy: ProxyName;
  readonly phase: Phase;
  readonly context: RequestContext;
  /** The proxy's id of the call (LiteLLM `litellm_call_id`), for correlation. */
  readonly callId?: string;
  readonly decision: Decision;
};

const ms = (n: number): number => Math.round(n * 1000) / 1000;

/** The log record of one decision; deterministic for a given event. */
function decisionRecord(e: DecisionEvent): Record<string, unknown> {
  const { verdict } = e.decision;
  return {
    proxy: e.proxy,
    phase: e.phase,
    ...(e.callId ? { callId: e.callId } : {}),
    namespace: e.decision.namespace,
    context: {
      team: e.context.teamAlias ?? null,
      key: e.context.keyAlias ?? null,
      model: e.context.model ?? null,
      tags: e.context.tags ?? [],
    },
    policies: e.decision.policies.map((p) => ({ policy: p.policyName, version: p.versionNumber })),
    guardrails: e.decision.guardrails.map((g) => ({
      guardrail: g.guardrail,
      via: g.via,
      outcome: g.outcome,
      masked: g.masked,
      ms: ms(g.durationMs),
    })),
    external: e.decision.external,
    verdict: verdict.kind,
    ...(verdict.kind === 'block' || verdict.kind === 'modify_response'
      ? { decidedBy: { policy: verdict.policy, guardrail: verdict.guardrail ?? null } }
      : {}),
    ...(verdict.kind === 'cannot_decide' ? { reason: verdict.reason } : {}),
    totalMs: ms(e.decision.durationMs),
  };
}

/** Writes the line (`warn` for cannot_decide, else `info`) and counts the decision. */
export function recordDecision(log: Logger, metrics: Metrics, e: DecisionEvent): void {
  const record = decisionRecord(e);
  if (e.decision.verdict.kind === 'cannot_decide') log.warn(record, 'decision');
  else log.info(record, 'decision');
  metrics.decisionsTotal.inc({ proxy: e.proxy, phase: e.phase, verdict: e.decision.verdict.kind });
  metrics.decisionDuration.observe({ proxy: e.proxy, phase: e.phase }, e.decision.durationMs / 1000);
}
