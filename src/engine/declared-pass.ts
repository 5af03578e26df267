import type { HistoryFit } from './history-retention.ts';
import { guardrailNameOf, policyNameOf } from './names.ts';
import { describeOrigin } from './origin.ts';
import { condition, type ObjectStatus, renderIssue, type StatusCondition } from './status.ts';
import type {
  Issue,
  Key,
  Origin,
  PolicyHistory,
  PolicyVersion,
  RejectedDocument,
  Resource,
} from './types.ts';
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
  /**
   * Per Policy key, why the history its valid spec calls for could not be stored (`fitHistory`
   * refused it): the stored history keeps serving until the spec changes or a leader re-applies.
   */
  readonly historyFailures: ReadonlyMap<string, string>;
  /** Per namespace with at least one Guardrail, its catalog as Policy statuses read it. */
  readonly catalogs: ReadonlyMap<string, Catalog>;
  /** What the last pass computed, so that the next one redoes only what changed; opaque. */
  readonly memo?: PassMemo;
};

/**
 * The guardrails of one namespace, as a Policy's Ready condition reads them. A new object only
 * when its content changed, so statuses computed from it can be re-used while it is the same.
 */
export type Catalog = {
  /** Every declared Guardrail name, valid or not. */
  readonly declared: ReadonlySet<string>;
  /** The names with a version in force: valid now, or the last good version of an invalid edit. */
  readonly serving: ReadonlySet<string>;
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
  /** The catalog its Ready condition read (policies only). */
  readonly catalog: Catalog | undefined;
  /** The parents' histories its Ready condition read along the production chain (policies only). */
  readonly reads: readonly ChainRead[];
  readonly status: ObjectStatus;
};

type ChainRead = { readonly hk: string; readonly history: PolicyHistory | undefined };

type PassMemo = {
  readonly validation: Validation;
  readonly statuses: ReadonlyMap<string, StatusMemo>;
  /** API-owned policies as resources, by history key, re-used while their history is the same object. */
  readonly apiOwned: ReadonlyMap<string, { readonly history: PolicyHistory; readonly res: Resource }>;
  /** The histories the pass left: a state whose histories are another map was changed since. */
  readonly histories: ReadonlyMap<string, PolicyHistory>;
  readonly rejected: number;
  readonly versioning: 'apply' | 'observe';
  /** Per history key, the policies whose Ready condition read it as a parent's (see `ChainRead`). */
  readonly chainReaders: ReadonlyMap<string, ReadonlySet<string>>;
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
  /**
   * What the store can keep of a history this pass changed by applying a policy (retention, the
   * object-size limit). Without it every history is kept whole. A refusal keeps the previous
   * history (what is stored serves) and the policy reports `HistoryNotStored`.
   */
  readonly fitHistory?: (history: PolicyHistory) => HistoryFit;
};

export type ReconcileChange =
  | { readonly kind: 'version'; readonly key: Key; readonly change: VersionChange }
  | {
      readonly kind: 'invalid';
      readonly key?: Key;
      readonly origin: Origin;
      readonly issues: readonly Issue[];
    }
  | { readonly kind: 'removed'; readonly key: Key }
  /** Retention dropped these versions from the history to be stored. */
  | { readonly kind: 'pruned'; readonly key: Key; readonly versions: readonly number[] }
  /** The history this policy's spec calls for cannot be stored; the stored one keeps serving. */
  | { readonly kind: 'not_stored'; readonly key: Key; readonly message: string };

export const emptyDeclaredState = (
  histories: ReadonlyMap<string, PolicyHistory> = new Map(),
): DeclaredState => ({
  histories,
  lastGood: new Map(),
  statuses: new Map(),
  unreadable: new Map(),
  historyFailures: new Map(),
  catalogs: new Map(),
});

export const historyKey = (namespace: string, name: string): string => `${namespace}/${name}`;

const keyOf = (r: Resource): Key => ({ kind: r.kind, namespace: r.namespace, name: r.name });

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
    !reapplyAll &&
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
      historyFailures.delete(k); // it was about a spec that is no longer declared
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
  const next = { histories, lastGood, statuses, unreadable, historyFailures, catalogs };
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

type StatusInputs = {
  readonly sources: ReadonlyMap<string, Resource>;
  readonly reusable: ReadonlySet<string>;
  readonly memo: ReadonlyMap<string, StatusMemo> | undefined;
};

/**
 * `withConditions` for the `dirty` keys and the policies that read a catalog the pass changed
 * (`readers`, not visited: their resource and issues are the previous pass's); every other status
 * and memo entry is the previous pass's. That is complete: a history changes only when its policy
 * was visited, and validation re-checks (so the pass visits) every object that reads a visited
 * policy, its attachments and the policies inheriting from it.
 */
function withConditionsOf(
  dirty: ReadonlySet<string>,
  readers: ReadonlySet<string>,
  state: DeclaredState,
  prev: DeclaredState,
  inputs: StatusInputs,
): WithStatus {
  const out = new Map(prev.statuses);
  const nextMemo = new Map(inputs.memo);
  for (const k of dirty) {
    const status = state.statuses.get(k);
    if (status !== undefined) conditionsOf(k, status, state, inputs, out, nextMemo);
  }
  if (readers.size > 0) {
    const sources = new Map(inputs.sources);
    for (const k of readers) {
      const res = inputs.memo?.get(k)?.res;
      if (res !== undefined) sources.set(k, res);
    }
    for (const k of readers) {
      const status = prev.statuses.get(k);
      if (status !== undefined) conditionsOf(k, status, state, { ...inputs, sources }, out, nextMemo);
    }
  }
  // The reverse index of chain reads, edited for the keys recomputed (copy on write).
  const before = prev.memo?.chainReaders ?? new Map<string, ReadonlySet<string>>();
  let chainReaders: Map<string, ReadonlySet<string>> | undefined;
  const edit = (hk: string, k: string, op: 'add' | 'delete') => {
    chainReaders ??= new Map(before);
    const set = new Set(chainReaders.get(hk));
    set[op](k);
    if (set.size === 0) chainReaders.delete(hk);
    else chainReaders.set(hk, set);
  };
  for (const k of [...dirty, ...readers]) {
    const was = inputs.memo?.get(k)?.reads ?? [];
    const now = nextMemo.get(k)?.reads ?? [];
    if (sameReadKeys(was, now)) continue;
    for (const r of was) edit(r.hk, k, 'delete');
    for (const r of now) edit(r.hk, k, 'add');
  }
  return { statuses: out, memo: nextMemo, chainReaders: chainReaders ?? before };
}

type WithStatus = {
  readonly statuses: Map<string, ObjectStatus>;
  readonly memo: Map<string, StatusMemo>;
  readonly chainReaders: ReadonlyMap<string, ReadonlySet<string>>;
};

const sameReadKeys = (a: readonly ChainRead[], b: readonly ChainRead[]): boolean =>
  a.length === b.length && a.every((r, i) => r.hk === b[i]?.hk);

/**
 * The catalogs of a full pass: every declared Guardrail name, and those with a version in force.
 * A namespace whose catalog did not change keeps the previous object.
 */
function builtCatalogs(
  before: ReadonlyMap<string, Catalog>,
  statuses: ReadonlyMap<string, ObjectStatus>,
  sources: ReadonlyMap<string, Resource>,
  lastGood: ReadonlyMap<string, Resource>,
): Map<string, Catalog> {
  const declared = new Map<string, Set<string>>();
  const serving = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, ns: string, name: string) => {
    const names = m.get(ns);
    if (names) names.add(name);
    else m.set(ns, new Set([name]));
  };
  for (const [k, s] of statuses)
    if (s.key.kind === 'Guardrail')
      add(declared, s.key.namespace, catalogName(k, s.key.name, sources, lastGood));
  for (const r of lastGood.values())
    if (r.kind === 'Guardrail') add(serving, r.namespace, guardrailNameOf(r));
  const out = new Map<string, Catalog>();
  for (const [ns, names] of declared) {
    const was = before.get(ns);
    const now = serving.get(ns) ?? new Set<string>();
    out.set(
      ns,
      was && sameSet(was.declared, names) && sameSet(was.serving, now)
        ? was
        : { declared: names, serving: now },
    );
  }
  return out;
}

/** A Guardrail's name in the catalog (what policies use), from its resource; else its object name. */
function catalogName(
  k: string,
  objectName: string,
  sources: ReadonlyMap<string, Resource>,
  lastGood: ReadonlyMap<string, Resource>,
): string {
  const r = sources.get(k) ?? lastGood.get(k);
  return r?.kind === 'Guardrail' ? guardrailNameOf(r) : objectName;
}

/**
 * The catalogs after an edit in place (`dirty`: the same keys as before, and no Guardrail renamed,
 * so the declared names are the same): only which names have a version in force can change. The
 * name in force is that of the last good version, which need not be the edited spec's, so each
 * namespace with an edited Guardrail has its served names listed again (a catalog that comes out
 * the same keeps its object).
 */
function editedCatalogs(
  before: ReadonlyMap<string, Catalog>,
  dirty: ReadonlySet<string>,
  lastGood: ReadonlyMap<string, Resource>,
): ReadonlyMap<string, Catalog> {
  const namespaces = new Set<string>();
  for (const k of dirty) if (k.startsWith('Guardrail/')) namespaces.add(k.split('/')[1] ?? '');
  if (namespaces.size === 0) return before;
  const serving = new Map<string, Set<string>>([...namespaces].map((ns) => [ns, new Set<string>()]));
  for (const r of lastGood.values())
    if (r.kind === 'Guardrail') serving.get(r.namespace)?.add(guardrailNameOf(r));
  let out: Map<string, Catalog> | undefined;
  for (const [ns, names] of serving) {
    const catalog = before.get(ns);
    if (catalog === undefined || sameSet(catalog.serving, names)) continue;
    out ??= new Map(before);
    out.set(ns, { declared: catalog.declared, serving: names });
  }
  return out ?? before;
}

/**
 * The policies outside `dirty` whose Ready condition read what this pass changed: a parent's
 * history along their production chain (which need not be their spec's parent, that validation
 * follows), or a catalog that is a new object (rare: every policy of the namespace).
 */
function readersOf(
  dirty: ReadonlySet<string>,
  touched: ReadonlySet<string>,
  prev: DeclaredState,
  catalogs: ReadonlyMap<string, Catalog>,
): ReadonlySet<string> {
  const out = new Set<string>();
  for (const hk of touched)
    for (const k of prev.memo?.chainReaders.get(hk) ?? []) if (!dirty.has(k)) out.add(k);
  if (catalogs === prev.catalogs) return out;
  const changed = new Set<string>();
  for (const [ns, c] of catalogs) if (prev.catalogs.get(ns) !== c) changed.add(ns);
  for (const [k, s] of prev.statuses)
    if (s.key.kind === 'Policy' && changed.has(s.key.namespace) && !dirty.has(k)) out.add(k);
  return out;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
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
): WithStatus {
  const out = new Map<string, ObjectStatus>();
  const nextMemo = new Map<string, StatusMemo>();
  for (const [k, status] of state.statuses)
    conditionsOf(k, status, state, { sources, reusable, memo }, out, nextMemo);
  const chainReaders = new Map<string, Set<string>>();
  for (const [k, m] of nextMemo) {
    for (const { hk } of m.reads) {
      const set = chainReaders.get(hk);
      if (set) set.add(k);
      else chainReaders.set(hk, new Set([k]));
    }
  }
  return { statuses: out, memo: nextMemo, chainReaders };
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
  const catalog = status.key.kind === 'Policy' ? state.catalogs.get(status.key.namespace) : undefined;
  const before = reusable.has(k) ? memo?.get(k) : undefined;
  if (
    before !== undefined &&
    before.history === historyAt(state, before.historyKey) &&
    before.catalog === catalog &&
    before.reads.every((r) => state.histories.get(r.hk) === r.history)
  ) {
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
  const { conditions, detail, reads } = readiness(k, status, good, state, errors);
  const done = { ...status, conditions: [accepted, ...conditions], ...detail };
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
    catalog,
    reads,
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

/** Ready (and, for a policy, Degraded), with what the status reports beside them. */
function readiness(
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
        good?.kind === 'Policy' ? policyNameOf(good) : status.key.name,
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
  policyName: string,
  state: DeclaredState,
  errors: readonly Issue[],
  serving: string,
): Readiness {
  const hk = historyKey(key.namespace, policyName);
  const history = state.histories.get(hk);
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
