/**
 * The names proxies know. A Kubernetes object name (`metadata.name`) must be a lowercase DNS name,
 * but LiteLLM's policy and guardrail names are free-form (`pii_masking`, `Finance Baseline`).
 * `spec.policyName` and `spec.guardrailName` carry the name a proxy knows; without them it is
 * `metadata.name`. Every reference (`inherit`, `guardrails.add/remove`, a step's `guardrail`, an
 * attachment's `policy`) and every answer uses these names; `metadata.name` only names the object.
 */
import type { GuardrailResource, PolicyResource, Resource } from './types.ts';

/** The longest name a proxy may use (the longest `metadata.name`, which is the default). */
export const PROXY_NAME_MAX_LENGTH = 253;

/**
 * 1 to 253 characters, none of them a control character (U+0000–U+001F, U+007F–U+009F), neither
 * starting nor ending with a space. The same pattern in RE2 (the API server) and JavaScript.
 */
export const PROXY_NAME_PATTERN =
  '^[^ \\x00-\\x1F\\x7F-\\x9F](?:[^\\x00-\\x1F\\x7F-\\x9F]*[^ \\x00-\\x1F\\x7F-\\x9F])?$';

export const PROXY_NAME_MESSAGE =
  'must be a name proxies know: 1 to 253 characters, no control characters, no leading or trailing space';

const PROXY_NAME = new RegExp(PROXY_NAME_PATTERN, 'u');

export function isProxyName(name: string): boolean {
  return name.length <= PROXY_NAME_MAX_LENGTH && PROXY_NAME.test(name);
}

/** The name proxies know this policy by: `spec.policyName`, else `metadata.name`. */
export function policyNameOf(p: PolicyResource): string {
  return p.spec.policyName ?? p.name;
}

/** The name proxies know this guardrail by: `spec.guardrailName`, else `metadata.name`. */
export function guardrailNameOf(g: GuardrailResource): string {
  return g.spec.guardrailName ?? g.name;
}

/** A policy's or guardrail's proxy name; an attachment's or a floor's is its object name. */
export function proxyNameOf(r: Resource): string {
  switch (r.kind) {
    case 'Policy':
      return policyNameOf(r);
    case 'Guardrail':
      return guardrailNameOf(r);
    case 'PolicyAttachment':
    case 'GuardrailFloor':
      return r.name;
  }
}
