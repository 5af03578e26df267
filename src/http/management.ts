import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Role } from './auth.ts';
import { HttpError, sendError } from './errors.ts';
import { registerPolicyRoutes } from './routes/index.ts';
import type { ServerDeps } from './server.ts';

/** Reads that travel as POST: callers with a reader token may use them. */
const READER_POSTS = new Set([
  '/policies/resolve',
  '/policies/test-pipeline',
  '/v1/explain',
  '/policies/attachments/estimate-impact',
  '/policy/validate',
  '/utils/test_policies_and_guardrails',
]);

/**
 * The Express application behind every route the fast path does not answer: LiteLLM's
 * `/policies` management API and Railyard's own reads. Handlers are thin: parse, one call, map.
 */
export function createManagementApi(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const api = express();
  api.disable('x-powered-by');
  api.set('etag', false);
  api.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      deps.metrics.observeRequest(route, req.method, res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  });
  api.use((req: Request, res: Response, next: NextFunction) => {
    Promise.resolve(deps.auth.authenticate(req.headers, accessFor(req))).then((principal) => {
      res.locals.principal = principal;
      next();
    }, next);
  });
  if (deps.writesRefused !== undefined) api.use(refuseWrites(api, deps.writesRefused));
  api.use(express.json({ limit: deps.bodyLimitBytes, strict: false }));
  registerPolicyRoutes(api, deps);
  api.use((req: Request) => {
    throw new HttpError('not_found', `No route for ${req.method} ${req.path}`);
  });
  api.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, fromExpressError(error), (bug) => deps.log.error({ err: bug }, 'request failed'));
  });
  return (req, res) => {
    api(req as Request, res as Response);
  };
}

/** A route layer of Express 5's router, as far as `routeMethods` reads it. */
type RouteLayer = { route?: { methods: Record<string, boolean> }; match(path: string): unknown };

/** The methods the routes matching `path` answer, lower case. */
function routeMethods(api: express.Express, path: string): Set<string> {
  const methods = new Set<string>();
  for (const layer of api.router.stack as unknown as RouteLayer[]) {
    if (!layer.route || !layer.match(path)) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on) methods.add(method);
  }
  return methods;
}

/**
 * Refuses every write route (after authentication, before the body is read) with 405 and
 * `detail`. `Allow` lists what the path still answers (its reads; empty for a write-only path,
 * as RFC 9110 provides for a resource disabled by configuration). Paths no route answers fall
 * through to the 404.
 */
function refuseWrites(api: express.Express, detail: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const methods = accessFor(req) === 'admin' ? routeMethods(api, req.path) : undefined;
    if (!methods?.has(req.method.toLowerCase())) {
      next();
      return;
    }
    const allow = methods.has('get') ? 'GET, HEAD' : '';
    next(new HttpError('method_not_allowed', detail, { headers: { allow } }));
  };
}

function accessFor(req: Request): Role {
  if (req.method === 'GET' || req.method === 'HEAD') return 'reader';
  if (req.method === 'POST' && READER_POSTS.has(req.path)) return 'reader';
  return 'admin';
}

/**
 * The client's mistakes that Express and body-parser raise, as HTTP errors; anything else is a
 * bug. body-parser's errors carry a `type`; a body that does not decompress (a bad gzip, deflate
 * or br stream) and a path parameter that is not valid percent-encoding carry status 400 only.
 */
function fromExpressError(error: unknown): unknown {
  if (error instanceof HttpError) return error;
  const e = error as { type?: string; message?: string; limit?: number; status?: number; name?: string };
  switch (e?.type) {
    case 'entity.parse.failed':
      return new HttpError('bad_request', `Malformed JSON body: ${e.message}`);
    case 'entity.too.large':
      return new HttpError('payload_too_large', `Request body is larger than the limit of ${e.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError('bad_request', String(e.message));
  }
  if (e?.name === 'URIError')
    return new HttpError(
      'bad_request',
      `Malformed percent-encoding in the path (${e.message}); encode reserved characters as %XX`,
    );
  if (e?.status === 400)
    return new HttpError(
      'bad_request',
      `The request body could not be decoded (${e.message}); send it uncompressed or with a valid Content-Encoding`,
    );
  return error;
}
