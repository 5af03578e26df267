/** The values the management API operations return: a result, or a `Failure` with LiteLLM's message. */
import {
  describeOrigin,
  type ErrorCode,
  failure,
  type Issue,
  type PolicyHistory,
  type PolicyVersion,
  type Result,
} from '../engine/index.ts';

/** One version with the history it belongs to (the wire form needs both). */
export type VersionEntry = { readonly history: PolicyHistory; readonly version: PolicyVersion };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T>(code: ErrorCode, message: string, issues?: readonly Issue[]): Result<T> => ({
  ok: false,
  error: failure(code, message, issues),
});

/** LiteLLM's 400 for a config policy, naming where this one is declared. */
export const readOnly = <T>(h: PolicyHistory): Result<T> =>
  fail(
    'read_only',
    `Policy '${h.name}' is defined in ${describeOrigin(h.origin)} and can only be changed there`,
  );

/** The version with `policyId` among `histories`, with its history. */
export function findById(histories: Iterable<PolicyHistory>, policyId: string): VersionEntry | undefined {
  for (const history of histories) {
    const version = history.versions.find((v) => v.policyId === policyId);
    if (version) return { history, version };
  }
  return undefined;
}
