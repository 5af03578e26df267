import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import {
  commaList,
  indexEntries,
  NO_RESOLUTION,
  parseDuration,
  productionVersion,
  type RequestContext,
  resolve,
} from '../engine/index.ts';
import type { NamespaceView, Snapshot } from '../registry/index.ts';
import { HttpError, sendJson } from './errors.ts';
import { selectNamespace } from './namespace.ts';
import type { Access, ServerDeps } from './server.ts';
import { toWireAttachment, toWirePolicy, toWireResolution } from './wire.ts';

export type FastRoute = {
  readonly name: string;
  readonly access: Access;
  /** Writes the whole response and returns its status code. */
  readonly handle: (req: IncomingMessage, res: ServerResponse, query: string) => Promise<number> | number;
};

type CachedBody = { readonly etag: string; readonly body: Buffer };

const RESOLVE_CACHE_LIMIT = 10_000;
const MAX_WAIT_MS = 60_000;

/**
 * The routes on the request path of every proxy call. Answers for the same snapshot and query are
 * computed once and kept with their strong ETag (a hash of the exact bytes), so a repeat costs a
 * map lookup and an `If-None-Match` match costs less.
 */
export function fastRoutes(deps: ServerDeps): Map<string, FastRoute> {
  const resolveCache = new RevisionCache<CachedBody>(RESOLVE_CACHE_LIMIT);
  const snapshotCache = new RevisionCache<CachedBody>(64);

  const routes: FastRoute[] = [
    { name: '/healthz', access: 'open', handle: (_req, res) => json(res, 200, { status: 'ok' }) },
    {
      name: '/readyz',
      access: 'open',
      handle: (_req, res) => {
        const extra = deps.ready?.() ?? { ok: true };
        if (!deps.registry.synced())
          return json(res, 503, { ready: false, reason: 'initial sync not finished' });
        if (!extra.ok) return json(res, 503, { ready: false, reason: extra.reason });
        return json(res, 200, { ready: true, revision: deps.registry.snapshot().revision });
      },
    },
    {
      name: '/metrics',
      access: 'open',
      handle: async (_req, res) => {
        const text = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(text);
        return 200;
      },
    },
    {
      name: '/v1/resolve',
      access: 'reader',
      handle: (req, res, query) => {
        const snapshot = deps.registry.snapshot();
        const cached =
          resolveCache.get(snapshot.revision, query) ??
          resolveCache.set(snapshot.revision, query, resolveBody(snapshot, query, deps));
        return sendCached(req, res, cached);
      },
    },
    {
      name: '/v1/snapshot',
      access: 'reader',
      handle: async (req, res, query) => {
        const params = parseQuery(query);
        let snapshot = deps.registry.snapshot();
        const known = single(params.revision);
        if (known !== undefined && Number(known) === snapshot.revision) {
          const waitMs = Math.min(waitParam(single(params.wait) ?? '0s'), MAX_WAIT_MS);
          const closed = new AbortController();
          res.once('close', () => closed.abort());
          const changed = await deps.registry.waitForChange(snapshot.revision, waitMs, closed.signal);
          if (!changed) return notModified(res, `"rev-${snapshot.revision}"`);
          snapshot = changed;
        }
        const namespace = single(params.namespace);
        const cached =
          snapshotCache.get(snapshot.revision, namespace ?? '') ??
          snapshotCache.set(
            snapshot.revision,
            namespace ?? '',
            withEtag(snapshotBody(snapshot, selectNamespace(snapshot, namespace, deps.defaultNamespace))),
          );
        return sendCached(req, res, cached);
      },
    },
    {
      name: '/v1/status',
      access: 'reader',
      handle: (_req, res) => {
        const snapshot = deps.registry.snapshot();
        return json(res, 200, {
          revision: snapshot.revision,
          synced: deps.registry.synced(),
          objects: snapshot.statuses,
          unreadable_documents: snapshot.unreadable,
        });
      },
    },
  ];
  return new Map(routes.map((r) => [`GET ${r.name}`, r]));
}

function resolveBody(snapshot: Snapshot, query: string, deps: ServerDeps): CachedBody {
  const params = parseQuery(query);
  const view = selectNamespace(snapshot, single(params.namespace), deps.defaultNamespace);
  const resolution = view ? resolve(view.index, contextFromQuery(params)) : NO_RESOLUTION;
  return withEtag(toWireResolution(resolution, snapshot.revision));
}

function json(res: ServerResponse, status: number, body: unknown): number {
  sendJson(res, status, body);
  return status;
}

function withEtag(body: unknown): CachedBody {
  const bytes = Buffer.from(JSON.stringify(body));
  return { body: bytes, etag: `"${createHash('sha1').update(bytes).digest('base64url')}"` };
}

function sendCached(req: IncomingMessage, res: ServerResponse, cached: CachedBody): number {
  if (req.headers['if-none-match'] === cached.etag) return notModified(res, cached.etag);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': cached.body.length,
    etag: cached.etag,
  });
  res.end(cached.body);
  return 200;
}

function notModified(res: ServerResponse, etag: string): number {
  res.writeHead(304, { etag });
  res.end();
  return 304;
}

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** `tags=a,b` and repeated `tags=a&tags=b` both work; an empty value means absent. */
export function contextFromQuery(params: Record<string, string | string[] | undefined>): RequestContext {
  const text = (name: string): string | undefined => single(params[name]) || undefined;
  const raw = params.tags;
  const tags = (Array.isArray(raw) ? raw : [raw]).flatMap(commaList);
  return {
    teamAlias: text('team_alias'),
    keyAlias: text('key_alias'),
    model: text('model'),
    tags: tags.length > 0 ? tags : undefined,
  };
}

/** The `wait` parameter: `30s`, `500ms`, `1m`, or a bare number of seconds; 400 otherwise. */
function waitParam(text: string): number {
  const ms = parseDuration(text, 's');
  if (ms === undefined)
    throw new HttpError('bad_request', `wait: "${text}" is not a duration; use e.g. 30s, 500ms or 1m`);
  return ms;
}

function snapshotBody(snapshot: Snapshot, view: NamespaceView | undefined): Record<string, unknown> {
  return {
    revision: snapshot.revision,
    namespace: view?.namespace ?? null,
    policies: (view?.histories ?? []).flatMap((h) => {
      const production = h.active ? productionVersion(h) : undefined;
      return production ? [toWirePolicy(h, production)] : [];
    }),
    resolved: view ? resolvedChains(view) : {},
    attachments: (view?.attachments ?? []).map(toWireAttachment),
    guardrails: Object.fromEntries(
      [...(view?.guardrails ?? new Map())]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, spec]) => [
          name,
          { type: spec.type, mode: spec.mode, failure_policy: spec.failurePolicy },
        ]),
    ),
  };
}

function resolvedChains(view: NamespaceView): Record<string, unknown> {
  return Object.fromEntries(
    indexEntries(view.index).policies.map((p) => [
      p.name,
      { inheritance_chain: p.chain, guardrails_without_context: p.guardrails ?? null },
    ]),
  );
}

/**
 * A bounded per-revision memo: everything is dropped when the revision moves on. `get`, then `set`
 * on a miss: a compute callback would be one more closure per request.
 */
class RevisionCache<T> {
  readonly #limit: number;
  #revision = -1;
  #entries = new Map<string, T>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(revision: number, key: string): T | undefined {
    return revision === this.#revision ? this.#entries.get(key) : undefined;
  }

  set(revision: number, key: string, value: T): T {
    if (revision !== this.#revision) {
      this.#revision = revision;
      this.#entries = new Map();
    }
    if (this.#entries.size >= this.#limit) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }
}
