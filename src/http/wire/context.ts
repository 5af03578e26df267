/**
 * The request context on the wire: `PolicyMatchContext` bodies and the `/v1/resolve` query, with
 * the limits every route that takes a context enforces.
 */
import { unescape as unescapeQuery } from 'node:querystring';
import { CONTEXT_LIMITS, commaList, type Issue, type RequestContext } from '../../engine/index.ts';
import { HttpError } from '../errors.ts';
import { type FromSchema, NULLABLE_STRING, object } from './schema.ts';

const CONTEXT_VALUE = { type: ['string', 'null'], maxLength: CONTEXT_LIMITS.valueChars } as const;

/** `PolicyResolveRequest` (= LiteLLM's `PolicyMatchContext`) plus an optional namespace. */
export const POLICY_RESOLVE_REQUEST = object({
  team_alias: CONTEXT_VALUE,
  key_alias: CONTEXT_VALUE,
  model: CONTEXT_VALUE,
  tags: {
    type: ['array', 'null'],
    items: { type: 'string', maxLength: CONTEXT_LIMITS.valueChars },
    maxItems: CONTEXT_LIMITS.tags,
  },
  namespace: NULLABLE_STRING,
});
export type WireContext = FromSchema<typeof POLICY_RESOLVE_REQUEST>;

/** `PolicyMatchContext` wire names → the engine's context. */
export function fromWireContext(body: Omit<WireContext, 'namespace'>): RequestContext {
  return { teamAlias: body.team_alias, keyAlias: body.key_alias, model: body.model, tags: body.tags };
}

/** The engine's context → `PolicyMatchContext`, every field present (`null` when absent). */
export function toWireContext(ctx: RequestContext) {
  return {
    team_alias: ctx.teamAlias ?? null,
    key_alias: ctx.keyAlias ?? null,
    model: ctx.model ?? null,
    tags: ctx.tags ?? null,
  };
}

/** What a `/v1/resolve` query asks: the namespace it names and the request context. */
export type ContextQuery = { readonly namespace: string | undefined; readonly context: RequestContext };

/**
 * Reads a `/v1/resolve` query string as `node:querystring` would (`+` is a space, `%XX` escapes,
 * the first of repeated values wins) in one pass over the known names: it runs on every proxy
 * call. `tags=a,b` and repeated `tags=a&tags=b` both work; an empty value means absent. A value
 * over `CONTEXT_LIMITS` is a 422 naming the field and the limit.
 */
export function contextFromQuery(query: string): ContextQuery {
  let namespace: string | undefined;
  let teamAlias: string | undefined;
  let keyAlias: string | undefined;
  let model: string | undefined;
  const tags: string[] = [];
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    const eq = query.indexOf('=', start);
    const split = eq === -1 || eq > end ? end : eq;
    const name = decoded(query.slice(start, split));
    const value = split === end ? '' : decoded(query.slice(split + 1, end));
    start = end + 1;
    switch (name) {
      case 'team_alias':
        teamAlias ??= value;
        break;
      case 'key_alias':
        keyAlias ??= value;
        break;
      case 'model':
        model ??= value;
        break;
      case 'namespace':
        namespace ??= value;
        break;
      case 'tags':
        tags.push(...commaList(value));
        break;
    }
  }
  const context = {
    teamAlias: teamAlias || undefined,
    keyAlias: keyAlias || undefined,
    model: model || undefined,
    tags: tags.length > 0 ? tags : undefined,
  };
  const issues = contextIssues(context);
  if (issues.length > 0)
    throw new HttpError('unprocessable', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  return { namespace, context };
}

function decoded(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return unescapeQuery(text.replaceAll('+', ' '));
}

/** The values of a query's context over `CONTEXT_LIMITS`, each an issue naming the field and the limit. */
function contextIssues(ctx: RequestContext): Issue[] {
  const issues: Issue[] = [];
  const over = (field: string, message: string) =>
    issues.push({ code: 'invalid_schema', severity: 'error', path: `query.${field}`, message });
  if ((ctx.teamAlias?.length ?? 0) > CONTEXT_LIMITS.valueChars) over('team_alias', tooLong());
  if ((ctx.keyAlias?.length ?? 0) > CONTEXT_LIMITS.valueChars) over('key_alias', tooLong());
  if ((ctx.model?.length ?? 0) > CONTEXT_LIMITS.valueChars) over('model', tooLong());
  const tags = ctx.tags ?? [];
  if (tags.length > CONTEXT_LIMITS.tags) over('tags', tooMany(CONTEXT_LIMITS.tags));
  if (tags.some((t) => t.length > CONTEXT_LIMITS.valueChars)) over('tags', `each tag ${tooLong()}`);
  return issues;
}

/** The messages of a value over a limit: the same for a query and (through ajv) a body. */
export const tooLong = (limit: number = CONTEXT_LIMITS.valueChars): string =>
  `must be at most ${limit} characters`;
export const tooMany = (limit: number): string => `must have at most ${limit} items`;
