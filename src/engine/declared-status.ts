import { readiness } from './declared-readiness.ts';
import {
  type Catalog,
  type ChainRead,
  type DeclaredState,
  historyKey,
  type StatusMemo,
} from './declared-state.ts';
import { policyNameOf } from './names.ts';
import { condition, type ObjectStatus, renderIssue } from './status.ts';
import type { Issue, Key, PolicyHistory, Resource } from './types.ts';

export type StatusInputs = {
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
export function withConditionsOf(
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

export type WithStatus = {
  readonly statuses: Map<string, ObjectStatus>;
  readonly memo: Map<string, StatusMemo>;
  readonly chainReaders: ReadonlyMap<string, ReadonlySet<string>>;
};

const sameReadKeys = (a: readonly ChainRead[], b: readonly ChainRead[]): boolean =>
  a.length === b.length && a.every((r, i) => r.hk === b[i]?.hk);

/**
 * The policies outside `dirty` whose Ready condition read what this pass changed: a parent's
 * history along their production chain (which need not be their spec's parent, that validation
 * follows), or a catalog that is a new object (rare: every policy of the namespace, and every
 * floor).
 */
export function readersOf(
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
  for (const [k, s] of prev.statuses) {
    if (dirty.has(k)) continue;
    if (s.key.kind === 'Policy' && changed.has(s.key.namespace)) out.add(k);
    // A floor's Ready reads the catalogs of every namespace it selects.
    if (s.key.kind === 'GuardrailFloor') out.add(k);
  }
  return out;
}

/**
 * Attaches Accepted and Ready to every status, now that the whole pass is known. A `reusable`
 * key keeps its memo's status when the history its Ready condition reads is the same object.
 */
export function withConditions(
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
  // A floor's status reads every catalog and the floors of every namespace: computed each time.
  const before = reusable.has(k) && status.key.kind !== 'GuardrailFloor' ? memo?.get(k) : undefined;
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
  const ignored = status.issues.filter((i) => i.code === 'mandatory_guardrail');
  const accepted =
    errors.length > 0
      ? condition('Accepted', false, reasonFor(errors), errors.map(renderIssue).join('; '))
      : ignored.length > 0
        ? condition('Accepted', true, 'Valid', `The spec is valid; ${ignored.map(renderIssue).join('; ')}`)
        : ACCEPTED;
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

// A condition every valid object shares: one object, not one per status.
const ACCEPTED = condition('Accepted', true, 'Valid', 'The spec is valid');

/** The key of the history whose versions an object's Ready condition reports. */
function readHistoryKey(key: Key, good: Resource | undefined): string | undefined {
  if (key.kind === 'Policy')
    return historyKey(key.namespace, good?.kind === 'Policy' ? policyNameOf(good) : key.name);
  if (good?.kind === 'PolicyAttachment') return historyKey(key.namespace, good.spec.policy);
  return undefined;
}

const historyAt = (state: DeclaredState, hk: string | undefined): PolicyHistory | undefined =>
  hk === undefined ? undefined : state.histories.get(hk);

function reasonFor(errors: readonly Issue[]): string {
  const code = errors[0]?.code ?? 'invalid_schema';
  return code
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
