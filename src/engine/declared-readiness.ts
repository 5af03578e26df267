/**
 * Whether an object is in force, and what keeps it from being: Ready (and Degraded for a policy)
 * from the pass's state, with the reads each policy's condition made (so a later pass knows when
 * to compute it again).
 */
import { floorReadiness } from './declared-floors.ts';
import { type ChainRead, type DeclaredState, historyKey } from './declared-state.ts';
import { policyNameOf } from './names.ts';
import { condition, type ObjectStatus, type StatusCondition } from './status.ts';
import type { Issue, Key, PolicyResource, PolicyVersion, Resource } from './types.ts';
import { latestVersion, productionVersion } from './versions.ts';
import { specVersion } from './versions-declared.ts';

const GUARDRAIL_READY = condition('Ready', true, 'InCatalog', 'The guardrail is in the catalog');

/** Ready (and, for a policy, Degraded), with what the status reports beside them. */
export function readiness(
  k: string,
  status: ObjectStatus,
  good: Resource | undefined,
  state: DeclaredState,
  errors: readonly Issue[],
): Readiness {
  const serving = good ? 'the last good version keeps serving' : 'nothing from it is in force';
  switch (status.key.kind) {
    case 'Policy':
      return policyReadiness(
        k,
        status.key,
        good?.kind === 'Policy' ? good : undefined,
        state,
        errors,
        serving,
      );
    case 'PolicyAttachment': {
      if (errors.length > 0) return { conditions: [notApplied(errors, serving)], detail: {}, reads: [] };
      const spec = good?.kind === 'PolicyAttachment' ? good.spec : undefined;
      const history = spec && state.histories.get(historyKey(status.key.namespace, spec.policy));
      const hasProduction = Boolean(history?.active && productionVersion(history));
      const ready = hasProduction
        ? condition('Ready', true, 'Attached', `Policy "${spec?.policy}" is in production`)
        : history?.active
          ? condition(
              'Ready',
              false,
              'PolicyNotInProduction',
              `Policy "${spec?.policy}" has no production version; it applies once a version is promoted`,
            )
          : condition(
              'Ready',
              false,
              'PolicyNotFound',
              `Policy "${spec?.policy}" is not declared in namespace "${status.key.namespace}"; create it or fix spec.policy`,
            );
      return {
        conditions: [ready],
        detail: { attachment: { policyHasProduction: hasProduction } },
        reads: [],
      };
    }
    case 'Guardrail':
      return {
        conditions: [errors.length > 0 ? notApplied(errors, serving) : GUARDRAIL_READY],
        detail: {},
        reads: [],
      };
    case 'GuardrailFloor': {
      const floor = floorReadiness(status.key, state, errors, serving);
      return { conditions: [floor.condition], detail: { floor: floor.detail }, reads: [] };
    }
  }
}

type Readiness = {
  readonly conditions: StatusCondition[];
  readonly detail: Partial<ObjectStatus>;
  readonly reads: readonly ChainRead[];
};

/** Ready=False for an object whose spec is not accepted. */
function notApplied(errors: readonly Issue[], serving: string, more = ''): StatusCondition {
  const missing = errors.every((e) => e.code === 'invalid_guardrail');
  return condition(
    'Ready',
    false,
    missing ? 'GuardrailNotFound' : 'InvalidSpec',
    `Not applied: ${serving}${more}`,
  );
}

const DEGRADED_FALSE = condition(
  'Degraded',
  false,
  'HistoryStored',
  'The versions of this policy are stored',
);

/**
 * A policy is Ready when a version is in production and everything that version needs to be
 * enforced is there: its history stored, every parent in production, every guardrail of the
 * chain (and of its pipeline) declared and in force when the namespace has a catalog. The version
 * numbers are those of the stored history (what serves), whatever the spec now says.
 */
function policyReadiness(
  k: string,
  key: Key,
  good: PolicyResource | undefined,
  state: DeclaredState,
  errors: readonly Issue[],
  serving: string,
): Readiness {
  const policyName = good ? policyNameOf(good) : key.name;
  const hk = historyKey(key.namespace, policyName);
  const history = state.histories.get(hk);
  const latest = history && latestVersion(history);
  const production = history && productionVersion(history);
  const shadowed = good?.spec.shadow && history ? specVersion(history, good) : undefined;
  const detail = {
    policy: {
      policyName,
      latestVersion: latest?.versionNumber,
      latestDigest: latest?.digest,
      productionVersion: production?.versionNumber,
      productionDigest: production?.digest,
      resolvedGuardrails: [],
      ...(shadowed && good?.spec.shadow
        ? {
            shadow: {
              versionNumber: shadowed.versionNumber,
              policyId: shadowed.policyId,
              sampleRate: good.spec.shadow.sampleRate,
              running: shadowed.status !== 'production' && history?.active === true,
            },
          }
        : {}),
    },
  };
  const failure = state.historyFailures.get(k);
  const degraded = failure ? condition('Degraded', true, 'HistoryNotStored', failure) : DEGRADED_FALSE;
  // Its own history is a read too: another object may claim the same name (an invalid duplicate)
  // and report the versions this one's edits record.
  const reads: ChainRead[] = [{ hk, history }];
  const problem = production && chainProblem(key.namespace, policyName, production, state, reads);
  const inProduction = production
    ? `version ${production.versionNumber} is in production${problem ? `, but ${problem.message}` : ''}`
    : 'no version is in production';
  let ready: StatusCondition;
  if (errors.length > 0) ready = notApplied(errors, serving, `; ${inProduction}`);
  else if (failure)
    ready = condition('Ready', false, 'HistoryNotStored', `History not stored: ${failure}; ${inProduction}`);
  else if (!production)
    ready = condition(
      'Ready',
      false,
      'NoProductionVersion',
      `Version ${latest?.versionNumber ?? '?'} is ${latest?.status ?? 'unknown'}; set spec.versionStatus: production to put it in force`,
    );
  else if (problem)
    ready = condition(
      'Ready',
      false,
      problem.reason,
      `Version ${production.versionNumber} is in production, but ${problem.message}`,
    );
  else
    ready = condition('Ready', true, 'InProduction', `Version ${production.versionNumber} is in production`);
  return { conditions: [ready, degraded], detail, reads };
}

/**
 * What keeps a production version from being enforced whole, if anything: a parent with no
 * production version (its guardrails silently do not apply), or a guardrail of the chain or of
 * the pipeline that the namespace's catalog lacks (not declared) or cannot run (no valid
 * version). Guardrails are checked only in a namespace with a catalog, as validation does.
 */
function chainProblem(
  namespace: string,
  policyName: string,
  production: PolicyVersion,
  state: DeclaredState,
  reads: ChainRead[],
): { reason: string; message: string } | undefined {
  const chain: { readonly policy: string; readonly version: PolicyVersion }[] = [
    { policy: policyName, version: production },
  ];
  const seen = new Set([policyName]);
  for (let parent = production.content.inherit; parent !== undefined && !seen.has(parent); ) {
    seen.add(parent);
    const hk = historyKey(namespace, parent);
    const h = state.histories.get(hk);
    reads.push({ hk, history: h });
    const p = h?.active ? productionVersion(h) : undefined;
    if (p === undefined) {
      return {
        reason: 'ParentNotInProduction',
        message: `parent policy "${parent}" has no version in production, so its guardrails do not apply; promote it or fix spec.inherit`,
      };
    }
    chain.unshift({ policy: parent, version: p });
    parent = p.content.inherit;
  }
  const catalog = state.catalogs.get(namespace);
  if (catalog === undefined) return undefined;
  const from = new Map<string, string>();
  for (const { policy, version } of chain) {
    for (const g of version.content.guardrails.add) from.set(g, policy);
    for (const g of version.content.guardrails.remove) from.delete(g);
  }
  for (const step of production.content.pipeline?.steps ?? []) from.set(step.guardrail, policyName);
  for (const g of [...from.keys()].sort()) {
    const via = from.get(g) === policyName ? '' : ` (from policy "${from.get(g)}")`;
    if (!catalog.declared.has(g))
      return {
        reason: 'GuardrailNotFound',
        message: `guardrail "${g}"${via} is not declared in namespace "${namespace}", so every decision that reaches it fails; create the Guardrail or stop using it`,
      };
    if (!catalog.serving.has(g))
      return {
        reason: 'GuardrailInvalid',
        message: `guardrail "${g}"${via} is invalid (see its status), so every decision that reaches it fails; fix the Guardrail`,
      };
  }
  return undefined;
}
