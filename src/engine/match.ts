/**
 * Wildcard and scope matching. Pure, allocation-free on the match path.
 */
import type { AttachmentSpec, RequestContext } from './types.ts';

/** The attachment selector dimensions, named as in `AttachmentSpec`. */
export const DIMENSIONS = ['teams', 'keys', 'models', 'tags'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Reference 2.1: an absent value matches only a literal `*`; a pattern ending in `*` matches by
 * prefix; any other pattern by equality. Case-sensitive; `?` and inner `*` are literal.
 */
export function matchesPattern(value: string | null | undefined, patterns: readonly string[]): boolean {
  if (value === null || value === undefined) return patterns.includes('*');
  for (const p of patterns) {
    if (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : value === p) return true;
  }
  return false;
}

/** True when the attachment is global: only the exact scope `*` counts. */
export function isGlobal(spec: AttachmentSpec): boolean {
  return spec.scope === '*';
}

/** Reference 1.3: an empty teams/keys/models selector means `["*"]`. */
function selectorMatches(value: string | null | undefined, patterns: readonly string[]): boolean {
  return patterns.length === 0 || matchesPattern(value, patterns);
}

const NO_TAGS: readonly string[] = [];

/** The first context tag that some tag pattern matches (ANY × ANY), or undefined. */
function firstMatchingTag(ctx: RequestContext, patterns: readonly string[]): string | undefined {
  for (const tag of ctx.tags ?? NO_TAGS) if (matchesPattern(tag, patterns)) return tag;
  return undefined;
}

/** The context value an attachment dimension is matched against (tags: see `firstMatchingTag`). */
export function contextValue(
  dim: Exclude<Dimension, 'tags'>,
  ctx: RequestContext,
): string | null | undefined {
  switch (dim) {
    case 'teams':
      return ctx.teamAlias;
    case 'keys':
      return ctx.keyAlias;
    case 'models':
      return ctx.model;
  }
}

/**
 * The first dimension (in `DIMENSIONS` order) on which the attachment does not match the context,
 * or undefined when it matches. A global attachment always
 * matches: its tags are dropped. Empty tags are not checked; non-empty tags need a non-empty
 * context tag list with some tag matching some pattern. A `known` dimension (one the caller has
 * already matched, as the index's buckets do) is not checked again.
 */
export function scopeMismatch(
  spec: AttachmentSpec,
  ctx: RequestContext,
  known?: Dimension | 'global' | 'always' | 'dangling',
): Dimension | undefined {
  if (isGlobal(spec)) return undefined;
  if (known !== 'teams' && !selectorMatches(ctx.teamAlias, spec.teams)) return 'teams';
  if (known !== 'keys' && !selectorMatches(ctx.keyAlias, spec.keys)) return 'keys';
  if (known !== 'models' && !selectorMatches(ctx.model, spec.models)) return 'models';
  if (known !== 'tags' && spec.tags.length > 0 && firstMatchingTag(ctx, spec.tags) === undefined)
    return 'tags';
  return undefined;
}

/** Reference 2.2: does the attachment apply to the request context? */
export function scopeMatches(spec: AttachmentSpec, ctx: RequestContext): boolean {
  return scopeMismatch(spec, ctx) === undefined;
}

/**
 * Reference 2.3, for an attachment that matched: `scope:*` when global; otherwise the parts
 * `tag:<first matching ctx tag>`, `team:<alias>`, `key:<alias>`, `model:<model>` joined by `+`,
 * each present when the selector is non-empty and the context has a non-empty value (Python
 * truthiness); `scope:default` when there is no part. Parts say which selectors are set, not
 * which pattern matched.
 */
export function matchedVia(spec: AttachmentSpec, ctx: RequestContext): string {
  if (isGlobal(spec)) return 'scope:*';
  let via = '';
  const tag = spec.tags.length > 0 ? firstMatchingTag(ctx, spec.tags) : undefined;
  if (tag !== undefined) via = `tag:${tag}`;
  if (spec.teams.length > 0 && ctx.teamAlias) via += `${via ? '+' : ''}team:${ctx.teamAlias}`;
  if (spec.keys.length > 0 && ctx.keyAlias) via += `${via ? '+' : ''}key:${ctx.keyAlias}`;
  if (spec.models.length > 0 && ctx.model) via += `${via ? '+' : ''}model:${ctx.model}`;
  return via || 'scope:default';
}
