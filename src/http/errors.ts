import type { ServerResponse } from 'node:http';
import type { Issue } from '../engine/index.ts';

export const ERROR_KINDS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  not_implemented: 501,
  unavailable: 503,
} as const;
export type ErrorKind = keyof typeof ERROR_KINDS;

/**
 * An error that knows its response. The body keeps FastAPI's `{"detail": ...}` shape so LiteLLM
 * clients read it unchanged; `issues` lists field-level problems when there are any.
 */
export class HttpError extends Error {
  readonly kind: ErrorKind;
  readonly issues: readonly Issue[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    kind: ErrorKind,
    message: string,
    opts: { issues?: readonly Issue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.kind = kind;
    this.issues = opts.issues ?? [];
    this.headers = opts.headers ?? {};
  }

  get status(): number {
    return ERROR_KINDS[this.kind];
  }

  body(): Record<string, unknown> {
    return this.issues.length > 0 ? { detail: this.message, issues: this.issues } : { detail: this.message };
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': payload.length, ...headers });
  res.end(payload);
}

/**
 * The one place an error becomes a response, for the fast path and Express alike. Anything that
 * is not an HttpError is a bug: it is reported through `onBug` and answered as a bare 500, so no
 * internals leak.
 */
export function sendError(res: ServerResponse, error: unknown, onBug: (error: unknown) => void): number {
  if (error instanceof HttpError) {
    if (!res.headersSent) sendJson(res, error.status, error.body(), error.headers);
    return error.status;
  }
  onBug(error);
  if (!res.headersSent) sendJson(res, 500, { detail: 'internal error' });
  else res.destroy();
  return 500;
}
