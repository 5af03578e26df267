/**
 * Why an operation was refused, as a value. One vocabulary for the version state machine, the
 * registry's API operations and the answer call, so that every adapter maps a code once (HTTP: the
 * table in `src/http/errors.ts`; the CLI: its stderr line and exit code).
 */
import type { Issue } from './types.ts';

/**
 * `not_found`: what the request names does not exist (or is not served). `bad_request`: the
 * request cannot be done as asked (a transition the state machine refuses). `read_only`: the object
 * is declared in a file or in Kubernetes, and only there may it change. `conflict`: the name is
 * taken. `invalid`: the content fails the checks a file would get (unknown parent, cycle, bad
 * regex…). `unprocessable`: a request LiteLLM's body validator rejects.
 */
const ERROR_CODES = [
  'not_found',
  'bad_request',
  'read_only',
  'conflict',
  'invalid',
  'unprocessable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** `message` is LiteLLM's text where it has one; `issues` lists field-level problems when there are any. */
export type Failure = {
  readonly code: ErrorCode;
  readonly message: string;
  readonly issues?: readonly Issue[];
};

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Failure };

/** A failure value, without an empty `issues`. */
export function failure(code: ErrorCode, message: string, issues?: readonly Issue[]): Failure {
  return issues ? { code, message, issues } : { code, message };
}
