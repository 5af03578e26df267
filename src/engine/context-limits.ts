/**
 * How large a request context may be. Context values come from callers (a proxy's headers, a
 * LiteLLM request's metadata, a query string), so they are bounded before anything is keyed by
 * them or matched against them.
 */
import type { RequestContext } from './types.ts';

export const CONTEXT_LIMITS = {
  /** The longest team alias, key alias, model or tag a query may name (the API answers 422 past it). */
  valueChars: 256,
  /** The most tags a query may name (the API answers 422 past it). */
  tags: 64,
  /**
   * The most distinct tags an enforced call may carry. More than a query's: a tag may add
   * guardrails, so an enforced call's tags are never dropped; past this many the call is
   * not decided (the proxy's own fail-open or fail-closed setting applies).
   */
  enforcedTags: 1024,
} as const;

/**
 * The context of an enforced call, bounded: every value cut to `valueChars` (a cut value still
 * matches the prefix selectors it matched, and no exact name is that long), tags de-duplicated
 * and at most `enforcedTags` of them. `overflow` says why the call must not be decided when it
 * carried more distinct tags than that (the context then holds the first ones, for the record).
 * An unchanged context is returned as is. Pure.
 */
export function boundEnforcedContext(ctx: RequestContext): {
  readonly context: RequestContext;
  readonly overflow?: string;
} {
  const cut = (v: string | null | undefined) =>
    typeof v === 'string' && v.length > CONTEXT_LIMITS.valueChars
      ? copyOfStart(v, CONTEXT_LIMITS.valueChars)
      : v;
  const tags = ctx.tags ? [...new Set(ctx.tags.map(boundContextValue))] : ctx.tags;
  const overflow =
    tags && tags.length > CONTEXT_LIMITS.enforcedTags
      ? `the call carries ${tags.length} distinct tags, more than the ${CONTEXT_LIMITS.enforcedTags} Railyard decides on`
      : undefined;
  const kept = overflow ? tags?.slice(0, CONTEXT_LIMITS.enforcedTags) : tags;
  const unchanged =
    cut(ctx.teamAlias) === ctx.teamAlias &&
    cut(ctx.keyAlias) === ctx.keyAlias &&
    cut(ctx.model) === ctx.model &&
    (kept === ctx.tags ||
      (kept?.length === ctx.tags?.length && (kept ?? []).every((t, i) => t === ctx.tags?.[i])));
  const context = unchanged
    ? ctx
    : { teamAlias: cut(ctx.teamAlias), keyAlias: cut(ctx.keyAlias), model: cut(ctx.model), tags: kept };
  return overflow ? { context, overflow } : { context };
}

/**
 * A caller's value (an alias, a model, a tag, a call id) cut to `valueChars`, as a string of its
 * own (see `copyOfStart`). Pure.
 */
export function boundContextValue(v: string): string {
  return v.length > CONTEXT_LIMITS.valueChars ? copyOfStart(v, CONTEXT_LIMITS.valueChars) : v;
}

/**
 * The first `n` UTF-16 units of `v` as a string of its own. `slice` would return a view that keeps
 * all of `v` alive (V8's sliced strings) wherever the cut value is remembered: a cache keyed by a
 * 256-character cut of a 1 MB value would hold the megabyte.
 */
function copyOfStart(v: string, n: number): string {
  const units = new Array<number>(n);
  for (let i = 0; i < n; i++) units[i] = v.charCodeAt(i);
  return String.fromCharCode(...units);
}
