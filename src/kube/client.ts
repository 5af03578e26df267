/**
 * Building a `KubeConfig` and reading client-node errors. client-node throws `ApiException` with the
 * HTTP `code` and, as `body`, the API server's `Status` object as a JSON string (or nothing, for a
 * 401); anything else it throws is a transport failure.
 */
import { ApiException, KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/** How long one connection pool serves before the next request opens a new one (TLS files re-read). */
const POOL_LIFETIME_MS = 600_000;

/**
 * A `KubeConfig` whose requests share one connection pool per cluster and user, as client-go's
 * do. client-node 2.0.1 gives every request (and every watch) a new undici Agent, so each opened
 * its own TLS connection and left it open until idle: a first sync of 2,000 objects made some
 * 5,000 TLS handshakes, and the connections' buffers took the leader's resident memory from
 * 180 MB to 640 MB, most of it kept by the allocator afterwards. A pool is replaced every 10
 * minutes (the old one closes once its requests and watches end), so TLS material that rotates
 * (a client certificate from an exec plugin) is picked up; tokens are headers, read per request.
 */
class PooledKubeConfig extends KubeConfig {
  readonly #pools = new Map<string, { dispatcher: Dispatcher; until: number }>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const cluster = this.getCurrentCluster();
    const key = JSON.stringify([cluster?.name, cluster?.server, this.getCurrentUser()?.name]);
    const now = Date.now();
    const pool = this.#pools.get(key);
    if (pool !== undefined && now < pool.until) {
      void fresh.close().catch(() => undefined); // never used: no connection to close
      context.setDispatcher(pool.dispatcher);
      return;
    }
    this.#pools.set(key, { dispatcher: fresh, until: now + POOL_LIFETIME_MS });
    if (pool) void pool.dispatcher.close().catch(() => undefined);
  }
}

/**
 * The field manager of every write the operator makes (status patches, Events, the history
 * ConfigMaps, the Lease): `kubectl get -o yaml --show-managed-fields` names Railyard, not the
 * client library's default (`kubernetes-client-javascript`).
 */
export const FIELD_MANAGER = 'railyard';

export type KubeConfigSource = {
  /** A kubeconfig file. Wins over `inCluster`. */
  readonly kubeconfigPath?: string;
  /** The pod's service account (`KUBERNETES_SERVICE_HOST/PORT`, the mounted token and CA). */
  readonly inCluster?: boolean;
};

/**
 * Loads a `KubeConfig` from a file, from the pod's service account, or, with neither, the way
 * kubectl does (`$KUBECONFIG`, `~/.kube/config`, then in-cluster), with one connection pool per
 * cluster and user (see `PooledKubeConfig`). Throws when a file is unreadable or invalid: that is a
 * startup misconfiguration, not a runtime condition.
 */
export function kubeConfigFrom(source: KubeConfigSource = {}): KubeConfig {
  const kc = new PooledKubeConfig();
  if (source.kubeconfigPath !== undefined) kc.loadFromFile(source.kubeconfigPath);
  else if (source.inCluster) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/**
 * What went wrong with one API call or watch. `code` is the HTTP status, or 0 when no response
 * arrived (connection refused, reset, timeout). `reason` is the Status reason (`NotFound`, `AlreadyExists`,
 * `Conflict`, `Invalid`, `Expired`, …) when the server sent one.
 */
export type KubeError = { readonly code: number; readonly reason?: string; readonly message: string };

/** Maps anything a client-node call may throw to a `KubeError`. Never throws. */
export function kubeError(e: unknown): KubeError {
  if (e instanceof ApiException) {
    const status = parseStatus(e.body);
    const reason = typeof status?.reason === 'string' && status.reason !== '' ? status.reason : undefined;
    const message =
      typeof status?.message === 'string' && status.message !== '' ? status.message : `HTTP ${e.code}`;
    return reason === undefined ? { code: e.code, message } : { code: e.code, reason, message };
  }
  if (!(e instanceof Error)) return { code: 0, message: String(e) };
  // client-node's Watch rejects a non-200 answer with a plain Error carrying `statusCode`.
  const statusCode = (e as Error & { statusCode?: unknown }).statusCode;
  return { code: typeof statusCode === 'number' ? statusCode : 0, message: causeChain(e) };
}

function parseStatus(body: unknown): Record<string, unknown> | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : { message: body.trim() };
    }
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:6443`: undici hides the useful part in `cause`. */
function causeChain(e: Error): string {
  const parts = [e.message];
  let cause: unknown = e.cause;
  while (cause instanceof Error && parts.length < 4) {
    parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.join(': ');
}
