import {
  applyDeclared,
  deactivateDeclared,
  describeOrigin,
  type Issue,
  isDeclared,
  type Key,
  latestVersion,
  type Origin,
  type PolicyHistory,
  productionVersion,
  type Resource,
  type VersionChange,
  type VersionEnv,
  validateResources,
} from '../engine/index.ts';
import type { RejectedDocument } from '../resources/index.ts';
import { condition, keyString, type ObjectStatus, renderIssue } from './status.ts';

/**
 * What the reconciler keeps between passes. `lastGood` holds, per declared key, the version of the
 * object in force: an object whose new content is invalid keeps its last good version serving.
 */
export type DeclaredState = {
  readonly histories: ReadonlyMap<string, PolicyHistory>;
  readonly lastGood: ReadonlyMap<string, Resource>;
  readonly statuses: ReadonlyMap<string, ObjectStatus>;
  /** Documents that could not even be named (YAML errors, no kind or name), by `path:line`. */
  readonly unreadable: ReadonlyMap<string, RejectedDocument>;
};

export type DeclaredInput = {
  readonly resources: readonly Resource[];
  readonly rejected: readonly RejectedDocument[];
};

export type PassOptions = {
  readonly env: VersionEnv;
  /**
   * `apply` (the default) records versions for valid policies and retires deleted ones. `observe`
   * takes the histories as they are: a replica that is not the leader reads the versions the
   * leader wrote and only computes statuses.
   */
  readonly versioning?: 'apply' | 'observe';
  readonly checkGuardrailConfig?: (g: Extract<Resource, { kind: 'Guardrail' }>) => Issue[];
};

export type ReconcileChange =
  | { readonly kind: 'version'; readonly key: Key; readonly change: VersionChange }
  | {
      readonly kind: 'invalid';
      readonly key?: Key;
      readonly origin: Origin;
      readonly issues: readonly Issue[];
    }
  | { readonly kind: 'removed'; readonly key: Key };

export const emptyDeclaredState = (
  histories: ReadonlyMap<string, PolicyHistory> = new Map(),
): DeclaredState => ({
  histories,
  lastGood: new Map(),
  statuses: new Map(),
  unreadable: new Map(),
});

export const historyKey = (namespace: string, name: string): string => `${namespace}/${name}`;

const keyOf = (r: Resource): Key => ({ kind: r.kind, namespace: r.namespace, name: r.name });

/**
 * One level-based pass over everything a source declares: validate the whole set, record policy
 * versions for the valid objects, keep the last good version of the invalid ones, retire what
 * disappeared, and compute every object's status. Never throws for bad input; deterministic for the
 * same state, input and env.
 */
export function reconcileDeclared(
  prev: DeclaredState,
  input: DeclaredInput,
  opts: PassOptions,
): { next: DeclaredState; changes: ReconcileChange[] } {
  const changes: ReconcileChange[] = [];
  const applying = opts.versioning !== 'observe';
  const histories = new Map(prev.histories);
  const lastGood = new Map<string, Resource>();
  const statuses = new Map<string, ObjectStatus>();

  // Objects whose new document failed the schema still count, at their last good version, for
  // the cross-object checks of the others: a broken parent must not invalidate its children.
  const rejectedKeys = new Set(input.rejected.flatMap((r) => (r.key ? [keyString(r.key)] : [])));
  const heldBack = [...rejectedKeys].flatMap((k) => {
    const good = prev.lastGood.get(k);
    return good ? [good] : [];
  });
  const apiPolicies = apiOwnedAsResources(histories, input.resources);
  const validated = validateResources([...input.resources, ...heldBack, ...apiPolicies], {
    checkGuardrailConfig: opts.checkGuardrailConfig,
  });

  for (const res of input.resources) {
    const k = keyString(keyOf(res));
    const issues = validated.get(k) ?? [];
    const errors = issues.filter((i) => i.severity === 'error');
    if (errors.length > 0) {
      const good = prev.lastGood.get(k);
      if (good) lastGood.set(k, good);
      if (!sameIssues(prev.statuses.get(k)?.issues, issues)) {
        changes.push({ kind: 'invalid', key: keyOf(res), origin: res.origin, issues: errors });
      }
      statuses.set(k, {
        key: keyOf(res),
        origin: res.origin,
        generation: res.generation,
        conditions: [],
        issues,
      });
      continue;
    }
    lastGood.set(k, res);
    if (res.kind === 'Policy' && applying && prev.lastGood.get(k) !== res) {
      const hk = historyKey(res.namespace, res.name);
      const applied = applyDeclared(histories.get(hk), res, opts.env);
      histories.set(hk, applied.history);
      for (const change of applied.changes) changes.push({ kind: 'version', key: keyOf(res), change });
    }
    statuses.set(k, {
      key: keyOf(res),
      origin: res.origin,
      generation: res.generation,
      conditions: [],
      issues,
    });
  }

  const unreadable = new Map<string, RejectedDocument>();
  for (const rejected of input.rejected) {
    if (!rejected.key) {
      const at = describeOrigin(rejected.origin);
      unreadable.set(at, rejected);
      if (!sameIssues(prev.unreadable.get(at)?.issues, rejected.issues)) {
        changes.push({ kind: 'invalid', origin: rejected.origin, issues: rejected.issues });
      }
      continue;
    }
    const k = keyString(rejected.key);
    const good = prev.lastGood.get(k);
    if (good) lastGood.set(k, good);
    if (!sameIssues(prev.statuses.get(k)?.issues, rejected.issues)) {
      changes.push({ kind: 'invalid', key: rejected.key, origin: rejected.origin, issues: rejected.issues });
    }
    statuses.set(k, {
      key: rejected.key,
      origin: rejected.origin,
      generation: rejected.generation,
      conditions: [],
      issues: rejected.issues,
    });
  }

  for (const [k, gone] of prev.lastGood) {
    if (lastGood.has(k) || statuses.has(k)) continue;
    changes.push({ kind: 'removed', key: keyOf(gone) });
    if (gone.kind !== 'Policy' || !applying) continue;
    const hk = historyKey(gone.namespace, gone.name);
    const history = histories.get(hk);
    if (history && isDeclared(history)) histories.set(hk, deactivateDeclared(history));
  }

  const next = { histories, lastGood, statuses, unreadable };
  return { next: { ...next, statuses: withConditions(next) }, changes };
}

/** Attaches Accepted and Ready to every status, now that the whole pass is known. */
function withConditions(state: DeclaredState): Map<string, ObjectStatus> {
  const out = new Map<string, ObjectStatus>();
  for (const [k, status] of state.statuses) {
    const errors = status.issues.filter((i) => i.severity === 'error');
    const accepted =
      errors.length === 0
        ? condition('Accepted', true, 'Valid', 'The spec is valid')
        : condition('Accepted', false, reasonFor(errors), errors.map(renderIssue).join('; '));
    const good = state.lastGood.get(k);
    const { ready, detail } = readiness(status, good, state, errors.length === 0);
    out.set(k, { ...status, conditions: [accepted, ready], ...detail });
  }
  return out;
}

function readiness(
  status: ObjectStatus,
  good: Resource | undefined,
  state: DeclaredState,
  accepted: boolean,
): { ready: ReturnType<typeof condition>; detail: Partial<ObjectStatus> } {
  const serving = good ? 'the last good version keeps serving' : 'nothing from it is in force';
  if (!accepted) {
    return { ready: condition('Ready', false, 'InvalidSpec', `Not applied: ${serving}`), detail: {} };
  }
  switch (status.key.kind) {
    case 'Policy': {
      const history = state.histories.get(historyKey(status.key.namespace, status.key.name));
      const latest = history && latestVersion(history);
      const production = history && productionVersion(history);
      const detail = {
        policy: {
          latestVersion: latest?.versionNumber,
          latestDigest: latest?.digest,
          productionVersion: production?.versionNumber,
          productionDigest: production?.digest,
          resolvedGuardrails: [],
        },
      };
      return production
        ? {
            ready: condition(
              'Ready',
              true,
              'InProduction',
              `Version ${production.versionNumber} is in production`,
            ),
            detail,
          }
        : {
            ready: condition(
              'Ready',
              false,
              'NoProductionVersion',
              `Version ${latest?.versionNumber ?? '?'} is ${latest?.status ?? 'unknown'}; set spec.versionStatus: production to put it in force`,
            ),
            detail,
          };
    }
    case 'PolicyAttachment': {
      const spec = good?.kind === 'PolicyAttachment' ? good.spec : undefined;
      const history = spec && state.histories.get(historyKey(status.key.namespace, spec.policy));
      const hasProduction = Boolean(history?.active && productionVersion(history));
      return {
        ready: hasProduction
          ? condition('Ready', true, 'Attached', `Policy "${spec?.policy}" is in production`)
          : condition(
              'Ready',
              false,
              'PolicyNotInProduction',
              `Policy "${spec?.policy}" has no production version; create it or promote a version`,
            ),
        detail: { attachment: { policyHasProduction: hasProduction } },
      };
    }
    case 'Guardrail':
      return { ready: condition('Ready', true, 'InCatalog', 'The guardrail is in the catalog'), detail: {} };
  }
}

function reasonFor(errors: readonly Issue[]): string {
  const code = errors[0]?.code ?? 'invalid_schema';
  return code
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function sameIssues(a: readonly Issue[] | undefined, b: readonly Issue[]): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * API-created policies in production take part in validation as parents and references, unless a
 * declared object of the same name is about to adopt them.
 */
function apiOwnedAsResources(
  histories: ReadonlyMap<string, PolicyHistory>,
  declared: readonly Resource[],
): Resource[] {
  const adopting = new Set(
    declared.flatMap((r) => (r.kind === 'Policy' ? [historyKey(r.namespace, r.name)] : [])),
  );
  const out: Resource[] = [];
  for (const h of histories.values()) {
    if (isDeclared(h) || !h.active || adopting.has(historyKey(h.namespace, h.name))) continue;
    const production = productionVersion(h);
    if (!production) continue;
    out.push({
      kind: 'Policy',
      namespace: h.namespace,
      name: h.name,
      origin: h.origin,
      spec: { ...production.content, versionStatus: 'production' },
    });
  }
  return out;
}
