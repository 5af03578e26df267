import { policyNameOf } from './names.ts';
import { describeOrigin } from './origin.ts';
import { condition, type ObjectStatus, renderIssue } from './status.ts';
import type { Issue, Key, Origin, PolicyHistory, RejectedDocument, Resource } from './types.ts';
import { resourceKey, revalidate, type Validation } from './validate.ts';
import { isDeclared, latestVersion, productionVersion, type VersionEnv } from './versions.ts';
import { applyDeclared, deactivateDeclared, type VersionChange } from './versions-declared.ts';

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
  /** What the last pass computed, so that the next one redoes only what changed; opaque. */
  readonly memo?: PassMemo;
};

/** Per declared key, what its status was computed from; a status is re-used while all of it is the same. */
type StatusMemo = {
  readonly res: Resource;
  /** The key of `history` in the histories map. */
  readonly historyKey: string | undefined;
  readonly issues: readonly Issue[];
  readonly good: Resource | undefined;
  /** The history its Ready condition read: its own (a policy) or its policy's (an attachment). */
  readonly history: PolicyHistory | undefined;
  readonly status: ObjectStatus;
};

type PassMemo = {
  readonly validation: Validation;
  readonly statuses: ReadonlyMap<string, StatusMemo>;
  /** API-owned policies as resources, by history key, re-used while their history is the same object. */
  readonly apiOwned: ReadonlyMap<string, { readonly history: PolicyHistory; readonly res: Resource }>;
  /** The histories the pass left: a state whose histories are another map was changed since. */
  readonly histories: ReadonlyMap<string, PolicyHistory>;
  readonly rejected: number;
  readonly versioning: 'apply' | 'observe';
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
  /**
   * Apply every valid policy again, not only those whose resource changed (a new leader: the last
   * one may have died between two writes). Applying is idempotent, so this only costs time.
   */
  readonly reapplyAll?: boolean;
  /** Pass the same function every pass: a different one makes the next pass validate everything. */
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
 *
 * The cost follows the change: with `prev.memo` (the previous pass's), only objects whose
 * resource, issues, last good version or the history their status reads changed are recomputed
 * (see `revalidate`); the rest keep their status objects, and an edit in place visits only the
 * keys it reaches (see `dirty` below). The result is the same as a pass from a state without
 * memo, up to the order of the maps.
 */
export function reconcileDeclared(
  prev: DeclaredState,
  input: DeclaredInput,
  opts: PassOptions,
): { next: DeclaredState; changes: ReconcileChange[] } {
  const changes: ReconcileChange[] = [];
  const versioning = opts.versioning ?? 'apply';
  const applying = versioning === 'apply';
  const reapplyAll = applying && opts.reapplyAll === true;
  const histories = new Map(prev.histories);

  // Objects whose new document failed the schema still count, at their last good version, for
  // the cross-object checks of the others: a broken parent must not invalidate its children.
  const rejectedKeys = new Set(input.rejected.flatMap((r) => (r.key ? [resourceKey(r.key)] : [])));
  const heldBack = [...rejectedKeys].flatMap((k) => {
    const good = prev.lastGood.get(k);
    return good ? [good] : [];
  });
  const apiOwned = apiOwnedAsResources(histories, input.resources, prev.memo?.apiOwned);
  const previousValidation = prev.memo?.validation;
  const validation = revalidate(
    [...input.resources, ...heldBack, ...[...apiOwned.values()].map((a) => a.res)],
    previousValidation && previousValidation.options.checkGuardrailConfig === opts.checkGuardrailConfig
      ? previousValidation.options
      : { checkGuardrailConfig: opts.checkGuardrailConfig },
    previousValidation,
  );
  const validated = validation.issues;
  const memo = prev.memo?.statuses;
  /**
   * When the input differs from the last pass's only by objects replaced under the same keys
   * (an edit), and nothing else moved (no rejected documents, no API-owned policies, histories
   * untouched since), only the keys validation re-checked are visited: every other object has
   * the same resource, issues, last good version and history to read, so its status is the one
   * the memo holds.
   */
  const dirty =
    prev.memo !== undefined &&
    validation.rechecked !== undefined &&
    input.rejected.length === 0 &&
    prev.memo.rejected === 0 &&
    prev.memo.histories === prev.histories &&
    prev.memo.versioning === versioning &&
    apiOwned.size === 0 &&
    !reapplyAll
      ? validation.rechecked
      : undefined;

  const lastGood = dirty ? new Map(prev.lastGood) : new Map<string, Resource>();
  /** Statuses before conditions; with `dirty`, only those of dirty keys. */
  const statuses = new Map<string, ObjectStatus>();
  /** Keys whose status may be re-used from the memo, if the history it reads is unchanged. */
  const reusable = new Set<string>();
  /** The declared resource each status was computed from (not for rejected documents). */
  const sources = new Map<string, Resource>();

  for (let i = 0; i < input.resources.length; i++) {
    const k = validation.keys[i] as string; // the validation's input starts with input.resources
    if (dirty && !dirty.has(k)) continue;
    const res = input.resources[i] as Resource;
    sources.set(k, res);
    const issues = validated.get(k) ?? [];
    const before = memo?.get(k);
    if (dirty) lastGood.delete(k);
    const reapply = reapplyAll && res.kind === 'Policy';
    if (!reapply && before?.res === res && before.issues === issues && before.good === prev.lastGood.get(k)) {
      if (before.good) lastGood.set(k, before.good);
      statuses.set(k, before.status);
      reusable.add(k);
      continue;
    }
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
    if (res.kind === 'Policy' && applying && (reapply || prev.lastGood.get(k) !== res)) {
      const hk = historyKey(res.namespace, policyNameOf(res));
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
    const k = resourceKey(rejected.key);
    reusable.delete(k);
    sources.delete(k);
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

  // With `dirty` every key of the last pass is still declared: nothing can have gone.
  if (!dirty) {
    for (const [k, gone] of prev.lastGood) {
      if (lastGood.has(k) || statuses.has(k)) continue;
      changes.push({ kind: 'removed', key: keyOf(gone) });
      if (gone.kind !== 'Policy' || !applying) continue;
      const hk = historyKey(gone.namespace, policyNameOf(gone));
      const history = histories.get(hk);
      if (history && isDeclared(history)) histories.set(hk, deactivateDeclared(history));
    }
  }

  const retired = applying ? retireRenamed(prev.lastGood, lastGood, sources, histories) : [];
  // The attachments of a retired name read its history; a pass over the dirty keys visits them too.
  let visit: ReadonlySet<string> | undefined = dirty;
  if (dirty && retired.length > 0) {
    const more = new Set(dirty);
    visit = more;
    for (const [k, r] of lastGood) {
      const reads =
        r.kind === 'PolicyAttachment' && retired.some((h) => h === historyKey(r.namespace, r.spec.policy));
      const status = reads && !statuses.has(k) ? prev.statuses.get(k) : undefined;
      if (status === undefined) continue;
      statuses.set(k, status);
      more.add(k);
    }
  }

  const next = { histories, lastGood, statuses, unreadable };
  const withStatus = visit
    ? withConditionsOf(visit, next, prev, { sources, reusable, memo })
    : withConditions(next, sources, reusable, memo);
  return {
    next: {
      ...next,
      statuses: withStatus.statuses,
      memo: {
        validation,
        statuses: withStatus.memo,
        apiOwned,
        histories,
        rejected: input.rejected.length,
        versioning,
      },
    },
    changes,
  };
}

/**
 * A declared policy whose `spec.policyName` changed leaves its old name: that history is retired
 * (kept, inactive) as a deleted object's is, unless another object still serves that name.
 * Returns the history keys retired.
 */
function retireRenamed(
  before: ReadonlyMap<string, Resource>,
  lastGood: ReadonlyMap<string, Resource>,
  visited: ReadonlyMap<string, Resource>,
  histories: Map<string, PolicyHistory>,
): string[] {
  const retired: string[] = [];
  for (const k of visited.keys()) {
    const was = before.get(k);
    const now = lastGood.get(k);
    if (was?.kind !== 'Policy' || now?.kind !== 'Policy') continue;
    const name = policyNameOf(was);
    if (name === policyNameOf(now)) continue;
    const served = [...lastGood.values()].some(
      (r) => r.kind === 'Policy' && r.namespace === was.namespace && policyNameOf(r) === name,
    );
    const hk = historyKey(was.namespace, name);
    const history = histories.get(hk);
    if (served || !history || !isDeclared(history) || !history.active) continue;
    histories.set(hk, deactivateDeclared(history));
    retired.push(hk);
  }
  return retired;
}

type StatusInputs = {
  readonly sources: ReadonlyMap<string, Resource>;
  readonly reusable: ReadonlySet<string>;
  readonly memo: ReadonlyMap<string, StatusMemo> | undefined;
};

/**
 * `withConditions` for the `dirty` keys only; every other status and memo entry is the previous
 * pass's. That is complete: a history changes only when its policy was visited, and validation
 * re-checks (so the pass visits) every object that reads a visited policy, its attachments and
 * the policies inheriting from it.
 */
function withConditionsOf(
  dirty: ReadonlySet<string>,
  state: DeclaredState,
  prev: DeclaredState,
  inputs: StatusInputs,
): { statuses: Map<string, ObjectStatus>; memo: Map<string, StatusMemo> } {
  const out = new Map(prev.statuses);
  const nextMemo = new Map(inputs.memo);
  for (const k of dirty) {
    const status = state.statuses.get(k);
    if (status !== undefined) conditionsOf(k, status, state, inputs, out, nextMemo);
  }
  return { statuses: out, memo: nextMemo };
}

/**
 * Attaches Accepted and Ready to every status, now that the whole pass is known. A `reusable`
 * key keeps its memo's status when the history its Ready condition reads is the same object.
 */
function withConditions(
  state: DeclaredState,
  sources: ReadonlyMap<string, Resource>,
  reusable: ReadonlySet<string>,
  memo: ReadonlyMap<string, StatusMemo> | undefined,
): { statuses: Map<string, ObjectStatus>; memo: Map<string, StatusMemo> } {
  const out = new Map<string, ObjectStatus>();
  const nextMemo = new Map<string, StatusMemo>();
  for (const [k, status] of state.statuses)
    conditionsOf(k, status, state, { sources, reusable, memo }, out, nextMemo);
  return { statuses: out, memo: nextMemo };
}

/** One key's status with its conditions, into `out`, and what it was computed from, into `nextMemo`. */
function conditionsOf(
  k: string,
  status: ObjectStatus,
  state: DeclaredState,
  { sources, reusable, memo }: StatusInputs,
  out: Map<string, ObjectStatus>,
  nextMemo: Map<string, StatusMemo>,
): void {
  const before = reusable.has(k) ? memo?.get(k) : undefined;
  if (before !== undefined && before.history === historyAt(state, before.historyKey)) {
    out.set(k, before.status);
    nextMemo.set(k, before);
    return;
  }
  const errors = status.issues.filter((i) => i.severity === 'error');
  const accepted =
    errors.length === 0
      ? ACCEPTED
      : condition('Accepted', false, reasonFor(errors), errors.map(renderIssue).join('; '));
  const good = state.lastGood.get(k);
  const { ready, detail } = readiness(status, good, state, errors.length === 0);
  const done = { ...status, conditions: [accepted, ready], ...detail };
  out.set(k, done);
  const res = sources.get(k);
  if (res === undefined) {
    nextMemo.delete(k);
    return;
  }
  const hk = readHistoryKey(status.key, good);
  nextMemo.set(k, {
    res,
    issues: status.issues,
    good,
    historyKey: hk,
    history: historyAt(state, hk),
    status: done,
  });
}

// Conditions every valid object (every guardrail) shares: one object each, not one per status.
const ACCEPTED = condition('Accepted', true, 'Valid', 'The spec is valid');
const GUARDRAIL_READY = condition('Ready', true, 'InCatalog', 'The guardrail is in the catalog');

/** The key of the history whose versions an object's Ready condition reports. */
function readHistoryKey(key: Key, good: Resource | undefined): string | undefined {
  if (key.kind === 'Policy')
    return historyKey(key.namespace, good?.kind === 'Policy' ? policyNameOf(good) : key.name);
  if (good?.kind === 'PolicyAttachment') return historyKey(key.namespace, good.spec.policy);
  return undefined;
}

const historyAt = (state: DeclaredState, hk: string | undefined): PolicyHistory | undefined =>
  hk === undefined ? undefined : state.histories.get(hk);

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
      const policyName = good?.kind === 'Policy' ? policyNameOf(good) : status.key.name;
      const history = state.histories.get(historyKey(status.key.namespace, policyName));
      const latest = history && latestVersion(history);
      const production = history && productionVersion(history);
      const detail = {
        policy: {
          policyName,
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
      return { ready: GUARDRAIL_READY, detail: {} };
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
  return a === b || (a !== undefined && JSON.stringify(a) === JSON.stringify(b));
}

/**
 * API-created policies in production take part in validation as parents and references, unless a
 * declared object of the same name is about to adopt them. Keyed by history key; an entry of
 * `before` is re-used (the same resource object) while its history is the same object.
 */
function apiOwnedAsResources(
  histories: ReadonlyMap<string, PolicyHistory>,
  declared: readonly Resource[],
  before: PassMemo['apiOwned'] | undefined,
): Map<string, { readonly history: PolicyHistory; readonly res: Resource }> {
  const out = new Map<string, { readonly history: PolicyHistory; readonly res: Resource }>();
  for (const [hk, h] of histories) {
    if (isDeclared(h) || !h.active) continue;
    const production = productionVersion(h);
    if (!production) continue;
    const kept = before?.get(hk);
    out.set(
      hk,
      kept?.history === h
        ? kept
        : {
            history: h,
            res: {
              kind: 'Policy',
              namespace: h.namespace,
              // Not a DNS name, so never the key of a declared object; the name is the policy name.
              name: `api:${h.name}`,
              origin: h.origin,
              spec: { ...production.content, versionStatus: 'production', policyName: h.name },
            },
          },
    );
  }
  if (out.size === 0) return out;
  for (const r of declared) if (r.kind === 'Policy') out.delete(historyKey(r.namespace, policyNameOf(r)));
  return out;
}
