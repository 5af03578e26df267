/**
 * How one policy's history is one ConfigMap: its name, labels, annotation and data, its size as
 * the API server counts it, its digest, and reading it back. Pure.
 */
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { PolicyHistory } from '../../engine/index.ts';
import { productionVersion } from '../../engine/index.ts';
import { pickMetadata } from '../../kube/index.ts';

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const STORE_KIND_LABEL = 'railyard.dev/store';
export const STORE_SELECTOR = `${MANAGED_BY}=railyard,${STORE_KIND_LABEL}=history`;
export const POLICY_NAMESPACE_LABEL = 'railyard.dev/policy-namespace';
const POLICY_LABEL = 'railyard.dev/policy';
const PRODUCTION_LABEL = 'railyard.dev/production-version';
const POLICY_NAME_ANNOTATION = 'railyard.dev/policy-name';
const HISTORY_KEY = 'history.json';
const POLICY_PREFIX = 'railyard-policy-';

const hash = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The ConfigMap of one policy's history: `railyard-policy-<namespace>.<name>` (a namespace has no
 * dot, so two policies never share a name), or `railyard-policy-<namespace>.<prefix>-<hash>` when
 * that exceeds 253 characters or is not a valid object name. Deterministic and pure.
 */
export function historyConfigMapName(namespace: string, policy: string): string {
  const plain = `${POLICY_PREFIX}${namespace}.${policy}`;
  if (plain.length <= 253 && DNS_SUBDOMAIN.test(plain)) return plain;
  const safe = policy
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .slice(0, 150)
    .replace(/^[.-]+|[.-]+$/g, '')
    .replace(/\.{2,}|\.-|-\./g, '-');
  const id = hash(`${namespace}/${policy}`, 16);
  return `${POLICY_PREFIX}${namespace}.${safe ? `${safe}-` : ''}${id}`;
}

/**
 * A label value for a policy name: the name itself when it is one (63 characters at most, letters,
 * digits, `-_.`), else a prefix and a hash. Pure.
 */
export function policyLabelValue(policy: string): string {
  if (policy.length <= 63 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(policy)) return policy;
  const prefix = policy
    .slice(0, 46)
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return `${prefix ? `${prefix}-` : ''}${hash(policy, 16)}`;
}

/** The ConfigMap that holds `history`, in the store's namespace. Deterministic. */
export function historyConfigMap(
  storeNamespace: string,
  h: PolicyHistory,
): V1ConfigMap & {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  data: Record<string, string>;
} {
  const production = productionVersion(h);
  return {
    metadata: {
      name: historyConfigMapName(h.namespace, h.name),
      namespace: storeNamespace,
      labels: {
        [MANAGED_BY]: 'railyard',
        [STORE_KIND_LABEL]: 'history',
        [POLICY_NAMESPACE_LABEL]: h.namespace,
        [POLICY_LABEL]: policyLabelValue(h.name),
        ...(production ? { [PRODUCTION_LABEL]: String(production.versionNumber) } : {}),
      },
      annotations: { [POLICY_NAME_ANNOTATION]: h.name },
    },
    data: { [HISTORY_KEY]: JSON.stringify(h) },
  };
}

/** Bytes of a ConfigMap's data as the API server counts them against its 1 MiB limit. */
export function dataBytes(data: Readonly<Record<string, string>>): number {
  const encoder = new TextEncoder();
  let n = 0;
  for (const [k, v] of Object.entries(data)) n += encoder.encode(k).length + encoder.encode(v).length;
  return n;
}

/** A digest of the comparable content of a ConfigMap: its labels and data. */
export const fingerprint = (labels: Record<string, string>, data: Record<string, string>): string =>
  createHash('sha256')
    .update(JSON.stringify([Object.entries(labels).sort(), Object.entries(data).sort()]))
    .digest('base64');

/** What the cache keeps of a history ConfigMap: its name, namespace, resourceVersion, labels and data. Pure. */
export function slimConfigMap(cm: V1ConfigMap): V1ConfigMap {
  return {
    metadata: pickMetadata(cm.metadata, ['name', 'namespace', 'resourceVersion', 'labels']),
    ...(cm.data === undefined ? {} : { data: cm.data }),
  };
}

/** What a stored ConfigMap holds, or an error message naming it. */
export function parseConfigMap(
  cm: V1ConfigMap,
): { readonly digest: string; readonly history: PolicyHistory } | { readonly error: string } {
  const at = `ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name}`;
  const labels = cm.metadata?.labels ?? {};
  const data = cm.data ?? {};
  try {
    const history = JSON.parse(data[HISTORY_KEY] ?? 'null') as PolicyHistory | null;
    if (
      !history ||
      typeof history.name !== 'string' ||
      typeof history.namespace !== 'string' ||
      !Array.isArray(history.versions)
    ) {
      return { error: `${at}: ${HISTORY_KEY} is not a policy history (namespace, name and versions)` };
    }
    return { digest: fingerprint(labels, data), history };
  } catch (e) {
    return {
      error: `${at}: not valid JSON (${(e as Error).message}); restore it or delete it to drop that history`,
    };
  }
}
