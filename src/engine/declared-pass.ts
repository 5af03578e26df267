import { builtCatalogs, editedCatalogs } from './declared-catalogs.ts';
import { floorsInForce, withMandatory } from './declared-floors.ts';
import {
  type DeclaredInput,
  type DeclaredState,
  historyKey,
  type PassMemo,
  type PassOptions,
  type ReconcileChange,
} from './declared-state.ts';
import { readersOf, withConditions, withConditionsOf } from './declared-status.ts';
import type { HistoryFit } from './history-retention.ts';
import { guardrailNameOf, policyNameOf } from './names.ts';
import { describeOrigin } from './origin.ts';
import { resourceKey } from './resource-key.ts';
import type { ObjectStatus } from './status.ts';
import type { Issue, Key, PolicyHistory, RejectedDocument, Resource } from './types.ts';
import { revalidate } from './validate.ts';
import { isDeclared, productionVersion } from './versions.ts';
import { applyDeclared, deactivateDeclared } from './versions-declared.ts';

const keyOf = (r: Resource): Key => ({ kind: r.kind, namespace: r.namespace, name: r.name });

/** An object's status before its conditions are computed (`withConditions`, after the pass). */
const unconditioned = (res: Resource, issues: readonly Issue[]): ObjectStatus => ({
  key: keyOf(res),
  origin: res.origin,
  generation: res.generation,
  conditions: [],
  issues,
});

/**
 * One level-based pass over everything a source declares: validate the whole set, record policy
 * versions for the valid objects, keep the last good version of the invalid ones, retire what
 * disappeared, and compute every object's status. Never throws for bad input; deterministic for the
 * same state, input and env.
 *
 * A policy whose changed history `opts.fitHistory` refuses keeps its previous history and is
 * reported (`not_stored`, Ready=False and Degraded=True until its spec changes); versions the
 * store dropped are reported (`pruned`).
 *
 * The cost follows the change: with `prev.memo` (the previous pass's), only objects whose
 * resource, issues, last good version, or what their status reads (their history, the parents'
 * histories along a policy's production chain, the namespace's guardrail catalog) changed are
 * recomputed (see `revalidate`); the rest keep their status objects, and an edit in place visits
 * only the keys it reaches (see `dirty` below). The result is the same as a pass from a state
 * without memo, up to the order of the maps.
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
  const historyFailures = new Map(prev.historyFailures);
  /** History keys this pass gave a new history. */
  const touched = new Set<string>();

  // Objects whose new document failed the schema still count, at their last good version, for
  // the cross-object checks of the others: a broken parent must not invalidate its children.
  const rejectedKeys = new Set(input.rejected.flatMap((r) => (r.key ? [resourceKey(r.key)] : [])));
  const heldBack = [...rejectedKeys].flatMap((k) => {
    const good = prev.lastGood.get(k);
    return good ? [good] : [];
  });
  const apiOwned = apiOwnedAsResources(histories, input.resources, prev.memo?.apiOwned);
  const previousValidation = prev.memo?.validation;
  const namespaceLabels = input.namespaceLabels !== undefined;
  const validation = revalidate(
    [...input.resources, ...heldBack, ...[...apiOwned.values()].map((a) => a.res)],
    previousValidation &&
      previousValidation.options.checkGuardrailConfig === opts.checkGuardrailConfig &&
      (previousValidation.options.namespaceLabels ?? false) === namespaceLabels
      ? previousValidation.options
      : { checkGuardrailConfig: opts.checkGuardrailConfig, namespaceLabels },
    previousValidation,
  );
  const validated = validation.issues;
  const memo = prev.memo?.statuses;
  // The floors in force (a floor whose edit is invalid keeps its last good version) decide the
  // mandatory guardrails of each namespace, which every policy's status reads.
  const floors = floorsInForce(input, validation, prev, histories);
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
    !reapplyAll &&
    floors === prev.floors &&
    !renamesGuardrail(validation.rechecked, input, validation.keys, prev.memo)
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
    const issues = withMandatory(validated.get(k) ?? [], validation.declarations.get(k) ?? [res], floors);
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
      historyFailures.delete(k); // it was about a spec that is no longer declared
      if (!sameIssues(prev.statuses.get(k)?.issues, issues)) {
        changes.push({ kind: 'invalid', key: keyOf(res), origin: res.origin, issues: errors });
      }
      statuses.set(k, unconditioned(res, issues));
      continue;
    }
    lastGood.set(k, res);
    if (res.kind === 'Policy' && applying && (reapply || prev.lastGood.get(k) !== res)) {
      const hk = historyKey(res.namespace, policyNameOf(res));
      const before = histories.get(hk);
      const applied = applyDeclared(before, res, opts.env);
      const fit: HistoryFit =
        applied.history === before || opts.fitHistory === undefined
          ? { ok: true, history: applied.history, dropped: [] }
          : opts.fitHistory(applied.history);
      if (fit.ok) {
        if (fit.history !== before) touched.add(hk);
        histories.set(hk, fit.history);
        historyFailures.delete(k);
        for (const change of applied.changes) changes.push({ kind: 'version', key: keyOf(res), change });
        if (fit.dropped.length > 0) changes.push({ kind: 'pruned', key: keyOf(res), versions: fit.dropped });
      } else {
        historyFailures.set(k, fit.message);
        changes.push({ kind: 'not_stored', key: keyOf(res), message: fit.message });
      }
    }
    statuses.set(k, unconditioned(res, issues));
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
    historyFailures.delete(k);
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
  for (const hk of retired) touched.add(hk);

  if (!dirty) for (const k of historyFailures.keys()) if (!statuses.has(k)) historyFailures.delete(k);
  const catalogs = dirty
    ? editedCatalogs(prev.catalogs, dirty, lastGood)
    : builtCatalogs(prev.catalogs, statuses, sources, lastGood);
  const next = {
    histories,
    lastGood,
    statuses,
    unreadable,
    historyFailures,
    catalogs,
    floors,
    ...(input.namespaceLabels === undefined ? {} : { namespaceLabels: input.namespaceLabels }),
  };
  const withStatus = dirty
    ? withConditionsOf(
        dirty,
        new Set([...readersOf(dirty, touched, prev, catalogs), ...attachmentsOf(retired, dirty, lastGood)]),
        next,
        prev,
        { sources, reusable, memo },
      )
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
        chainReaders: withStatus.chainReaders,
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

/** The attachments outside `dirty` whose Ready condition reads one of the `retired` histories. */
function attachmentsOf(
  retired: readonly string[],
  dirty: ReadonlySet<string>,
  lastGood: ReadonlyMap<string, Resource>,
): string[] {
  if (retired.length === 0) return [];
  const out: string[] = [];
  for (const [k, r] of lastGood)
    if (
      r.kind === 'PolicyAttachment' &&
      !dirty.has(k) &&
      retired.includes(historyKey(r.namespace, r.spec.policy))
    )
      out.push(k);
  return out;
}

/**
 * Whether an edit in place renames a Guardrail (`spec.guardrailName`): the catalogs, keyed by the
 * names policies use, are then rebuilt by a full pass.
 */
function renamesGuardrail(
  rechecked: ReadonlySet<string>,
  input: DeclaredInput,
  keys: readonly string[],
  memo: PassMemo | undefined,
): boolean {
  for (let i = 0; i < input.resources.length; i++) {
    const res = input.resources[i] as Resource;
    const k = keys[i] as string;
    if (res.kind !== 'Guardrail' || !rechecked.has(k)) continue;
    const before = memo?.statuses.get(k)?.res;
    if (before?.kind !== 'Guardrail' || guardrailNameOf(before) !== guardrailNameOf(res)) return true;
  }
  return false;
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
