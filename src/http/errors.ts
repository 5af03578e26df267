import type { ServerResponse } from 'node:http';
import type { ErrorCode, Failure, Issue } from '../engine/index.ts';

/**
 * The one table from an error kind to its HTTP status: first the codes of the engine and the
 * registry (`ERROR_CODES`), then the kinds only HTTP has. Its oddities are LiteLLM's: a name
 * already taken (`conflict`), a change to a declared policy (`read_only`) and content that fails
 * the checks a file would get (`invalid`) are all 400, and what its body validator rejects is 422.
 */
const ERROR_STATUS = {
  not_found: 404,
  bad_request: 400,
  read_only: 400,
  conflict: 400,
  invalid: 400,
  unprocessable: 422,
  unauthorized: 401,
  forbidden: 403,
  method_not_allowed: 405,
  payload_too_large: 413,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number> & Record<string, number>;
export type ErrorKind = keyof typeof ERROR_STATUS;

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

  /** The HTTP form of a refusal from the engine or the registry. */
  static from(f: Failure): HttpError {
    return new HttpError(f.code, f.message, f.issues ? { issues: f.issues } : {});
  }

  get status(): number {
    return ERROR_STATUS[this.kind];
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
