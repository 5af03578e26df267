/**
 * Shadow runs: a policy version (a draft or a published one) that enforcement also runs beside
 * production, off the request path, to count where it would decide otherwise. Pure.
 */
import { policyNameOf } from './names.ts';
import type { PolicyHistory, PolicyResource, PolicyVersion } from './types.ts';
import { specVersion } from './versions-declared.ts';

export const SHADOW_SOURCES = ['declared', 'api'] as const;
export type ShadowSource = (typeof SHADOW_SOURCES)[number];

/** A version in shadow: where its policy's production version applies, it also runs, sampled. */
export type ShadowTarget = {
  readonly namespace: string;
  /** The policy, by the name proxies know. */
  readonly policy: string;
  /** The version that runs in shadow: never the production one. */
  readonly version: PolicyVersion;
  /** The share of calls (0 to 1) it runs on. */
  readonly sampleRate: number;
  /** A declared policy's `spec.shadow`, or the HTTP API (directory mode). */
  readonly source: ShadowSource;
};

/**
 * The shadow a declared policy asks for with `spec.shadow`: its spec's version, while that version
 * is recorded and is not in production (promoting it ends the shadow). Undefined otherwise.
 */
export function declaredShadow(
  res: PolicyResource,
  history: PolicyHistory | undefined,
): ShadowTarget | undefined {
  const shadow = res.spec.shadow;
  if (shadow === undefined || history === undefined || !history.active) return undefined;
  const version = specVersion(history, res);
  if (version === undefined || version.status === 'production') return undefined;
  return {
    namespace: res.namespace,
    policy: policyNameOf(res),
    version,
    sampleRate: shadow.sampleRate,
    source: 'declared',
  };
}
