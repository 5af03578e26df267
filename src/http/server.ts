import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger, Metrics, RequestSeries } from '../observability/index.ts';
import type { ControllerStatus } from '../reconcile/index.ts';
import { AnswerCache, type Registry, type ResolveAnswer } from '../registry/index.ts';
import type { Template } from '../templates/index.ts';
import type { ShadowRecorder, UsageRecorder } from '../usage/index.ts';
import type { Authenticator, Role } from './auth.ts';
import { createEnforcement, type Enforcement } from './enforce-routes.ts';
import { sendError, sendJson } from './errors.ts';
import { type FastRoute, fastRoutes } from './fast-routes.ts';
import { createManagementApi } from './management.ts';

export type ServerDeps = {
  readonly registry: Registry;
  readonly auth: Authenticator;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Served when a request names no namespace and several exist. */
  readonly defaultNamespace: string;
  readonly bodyLimitBytes: number;
  /** How reconciling goes (failing passes, a source that lost its backend), for `/v1/status`. */
  readonly reconcileStatus?: () => ControllerStatus;
  /** Extra readiness conditions (informers synced…); `/readyz` also needs the first sync. */
  readonly ready?: () => { ok: boolean; reason?: string };
  /** Liveness (`/livez`): false once the process is stuck; live when absent. */
  readonly live?: () => { ok: boolean; reason?: string };
  /** The proxy enforcement routes (LiteLLM, agentgateway); built with defaults when absent. */
  readonly enforcement?: Enforcement;
  /**
   * The cache of resolve answers every route shares. When absent, the server takes the
   * enforcement's, else makes one with the defaults: one cache per server either way.
   */
  readonly answers?: AnswerCache<ResolveAnswer>;
  /**
   * When set (Kubernetes mode: the cluster's objects are the only source of policies), every
   * management write is refused with a 405 whose `detail` is this text; reads are unchanged.
   */
  readonly writesRefused?: string;
  /** What enforcement decided, counted for the usage routes; enforcement records into it. */
  readonly usage?: UsageRecorder;
  /** What shadow runs found (`GET /v1/shadow`); with it, enforcement runs the versions in shadow. */
  readonly shadows?: ShadowRecorder;
  /** The policy templates `GET /policy/templates` lists (`--templates`); none when absent. */
  readonly templates?: readonly Template[];
};

/** Who may call a route: nobody needs a token for `open`. */
export type Access = Role | 'open';

/**
 * One `node:http` server. The routes proxies call on every request (resolve, snapshot, health)
 * are answered by a table lookup on the fast path; everything else goes to the Express
 * management API. Both use the same authentication, error rendering and metrics.
 */
export function createHttpServer(serverDeps: ServerDeps): Server {
  const answers = serverDeps.answers ?? serverDeps.enforcement?.answers ?? new AnswerCache<ResolveAnswer>();
  serverDeps.metrics.watchAnswerCache(() => ({ bytes: answers.bytes, entries: answers.size }));
  const deps = { ...serverDeps, answers };
  const routes = fastRoutes(deps);
  for (const [key, route] of (deps.enforcement ?? createEnforcement(deps)).routes) routes.set(key, route);
  const management = createManagementApi(deps);
  const fast = fastDispatch(routes, deps);
  const server = createServer((req, res) => {
    if (!fast(req, res)) management(req, res);
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

/**
 * A server that answers only the given fast routes (404 otherwise), with the same authentication,
 * errors and metrics: the dedicated agentgateway port for gateways that cannot override the path.
 */
export function createFastRouteServer(routes: ReadonlyMap<string, FastRoute>, deps: ServerDeps): Server {
  const fast = fastDispatch(routes, deps);
  const server = createServer((req, res) => {
    if (fast(req, res)) return;
    sendJson(res, 404, {
      detail: `no route ${req.method} ${req.url} here; use POST ${[...routes.values()].map((r) => r.name).join(' or ')}`,
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

type Entry = { readonly route: FastRoute; readonly series: RequestSeries };

/**
 * Answers a request whose method and path name a fast route (`"GET /v1/resolve"` keys) and returns
 * true; false for any other. Looked up by path, then method: no key string is built per request.
 */
function fastDispatch(
  routes: ReadonlyMap<string, FastRoute>,
  deps: ServerDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byPath = new Map<string, Map<string, Entry>>();
  for (const [key, route] of routes) {
    const [method = '', path = ''] = key.split(' ');
    const methods = byPath.get(path) ?? new Map<string, Entry>();
    methods.set(method, { route, series: deps.metrics.requestSeries(route.name, method) });
    byPath.set(path, methods);
  }
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const entry = byPath.get(q === -1 ? url : url.slice(0, q))?.get(req.method ?? '');
    if (entry === undefined) return false;
    serveFast(entry, req, res, q === -1 ? '' : url.slice(q + 1), deps);
    return true;
  };
}

/**
 * Runs a fast route with authentication, error rendering and metrics. A route that answers
 * synchronously (resolve, health) is finished in this call: no promise, no microtask per request.
 */
function serveFast(
  { route, series }: Entry,
  req: IncomingMessage,
  res: ServerResponse,
  query: string,
  deps: ServerDeps,
): void {
  const started = performance.now();
  let answered: number | Promise<number>;
  try {
    const who = route.access === 'open' ? undefined : deps.auth.authenticate(req.headers, route.access);
    // A token not seen lately is being verified (Kubernetes mode): answer once it is.
    answered =
      who instanceof Promise ? who.then(() => route.handle(req, res, query)) : route.handle(req, res, query);
  } catch (error) {
    answered = failure(route, res, deps, error);
  }
  if (typeof answered === 'number') series.record(answered, secondsSince(started));
  else
    void answered.then(
      (code) => series.record(code, secondsSince(started)),
      (error: unknown) => series.record(failure(route, res, deps, error), secondsSince(started)),
    );
}

const secondsSince = (started: number): number => (performance.now() - started) / 1000;

/** Renders a route's error; a bug is logged. Returns the status code sent. */
function failure(route: FastRoute, res: ServerResponse, deps: ServerDeps, error: unknown): number {
  return sendError(res, error, (bug) => deps.log.error({ err: bug, route: route.name }, 'request failed'));
}
