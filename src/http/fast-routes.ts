import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { parseDuration } from '../engine/index.ts';
import {
  type AnswerOptions,
  answer,
  type NamespaceView,
  type ResolveAnswer,
  type Snapshot,
  shadowReport,
} from '../registry/index.ts';
import { HttpError, sendJson } from './errors.ts';
import { selectNamespace } from './namespace.ts';
import type { Access, ServerDeps } from './server.ts';
import {
  contextFromQuery,
  toWireReconcileStatus,
  toWireResolution,
  toWireShadowEntry,
  toWireSnapshot,
} from './wire/index.ts';

export type FastRoute = {
  readonly name: string;
  readonly access: Access;
  /** Writes the whole response and returns its status code. */
  readonly handle: (req: IncomingMessage, res: ServerResponse, query: string) => Promise<number> | number;
};

type CachedBody = { readonly etag: string; readonly body: Buffer };

const MAX_WAIT_MS = 60_000;

/**
 * The routes on the request path of every proxy call. A resolve answer comes from the answer call
 * and its cache (`deps.answers`); its bytes and strong ETag (a hash of the exact bytes) are
 * rendered once per answer object and kept beside it, so a repeat costs a few lookups and an
 * `If-None-Match` match costs less. A snapshot body is rendered once per namespace view.
 */
export function fastRoutes(deps: ServerDeps): Map<string, FastRoute> {
  const options: AnswerOptions = {
    defaultNamespace: deps.defaultNamespace,
    ...(deps.answers ? { cache: deps.answers } : {}),
  };
  /** Rendered with the answer object they belong to: they go when its cache entry goes. */
  const renderedAnswers = new WeakMap<ResolveAnswer, CachedBody>();
  /**
   * Snapshot bodies, per snapshot and namespace view (undefined: nothing served): at most one per
   * namespace served, and they go with their snapshot. Not a repeat-context cache.
   */
  const renderedSnapshots = new WeakMap<Snapshot, Map<NamespaceView | undefined, CachedBody>>();

  const routes: FastRoute[] = [
    { name: '/healthz', access: 'open', handle: (_req, res) => json(res, 200, { status: 'ok' }) },
    {
      name: '/livez',
      access: 'open',
      handle: (_req, res) => {
        const live = deps.live?.() ?? { ok: true };
        return live.ok
          ? json(res, 200, { live: true })
          : json(res, 503, { live: false, reason: live.reason });
      },
    },
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
        const answered = answer('resolve', deps.registry.snapshot(), contextFromQuery(query), options);
        if (!answered.ok) throw HttpError.from(answered.error);
        let rendered = renderedAnswers.get(answered);
        if (rendered === undefined) {
          rendered = withEtag(toWireResolution(answered.value, answered.revision));
          renderedAnswers.set(answered, rendered);
        }
        return sendCached(req, res, rendered);
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
        const view = selectNamespace(snapshot, single(params.namespace), deps.defaultNamespace);
        let bodies = renderedSnapshots.get(snapshot);
        if (bodies === undefined) {
          bodies = new Map();
          renderedSnapshots.set(snapshot, bodies);
        }
        let rendered = bodies.get(view);
        if (rendered === undefined) {
          rendered = withEtag(toWireSnapshot(snapshot, view));
          bodies.set(view, rendered);
        }
        return sendCached(req, res, rendered);
      },
    },
    {
      name: '/v1/status',
      access: 'reader',
      handle: (_req, res) => {
        const snapshot = deps.registry.snapshot();
        const reconcile = deps.reconcileStatus?.();
        return json(res, 200, {
          revision: snapshot.revision,
          synced: deps.registry.synced(),
          ...(reconcile ? { reconcile: toWireReconcileStatus(reconcile) } : {}),
          objects: snapshot.statuses,
          unreadable_documents: snapshot.unreadable,
          shadows: shadowReport(snapshot, deps.shadows?.stats() ?? [], []).shadows.map(toWireShadowEntry),
        });
      },
    },
  ];
  return new Map(routes.map((r) => [`GET ${r.name}`, r]));
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

/** The `wait` parameter: `30s`, `500ms`, `1m`, or a bare number of seconds; 400 otherwise. */
function waitParam(text: string): number {
  const ms = parseDuration(text, 's');
  if (ms === undefined)
    throw new HttpError('bad_request', `wait: "${text}" is not a duration; use e.g. 30s, 500ms or 1m`);
  return ms;
}
