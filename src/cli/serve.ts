import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CHECK_POOL_DEFAULTS, CheckPool, type CheckPoolOptions } from '../guardrails/index.ts';
import {
  CLUSTER_ROLE_GRANTS,
  createEnforcement,
  createFastRouteServer,
  createHttpServer,
  type EnforceOptions,
  loadTokens,
  type TokenVerifier,
} from '../http/index.ts';
import { createLogger, Liveness, type Logger, Metrics } from '../observability/index.ts';
import type { Operator, OperatorConfig } from '../operator/index.ts';
import { Controller } from '../reconcile/index.ts';
import { Registry } from '../registry/index.ts';
import type { YamlLimits } from '../resources/index.ts';
import { DirectorySource } from '../sources/index.ts';
import { createLowdbStore } from '../store/index.ts';
import { loadTemplates, SHIPPED_TEMPLATES } from '../templates/index.ts';
import { ShadowRecorder, type ShadowStats, UsageFile, UsageRecorder } from '../usage/index.ts';
import { compactHeap, disablePretenuring, pinTickShape } from './heap.ts';
import type { Io } from './io.ts';
import { UsageError } from './options.ts';

export type ServeOptions = {
  readonly dir: readonly string[];
  readonly data: string;
  readonly port: number;
  readonly host: string;
  readonly namespace: string;
  readonly tokenFile?: string;
  readonly bodyLimitBytes: number;
  /** `--templates`: the folder `GET /policy/templates` lists; the shipped templates when absent. */
  readonly templates?: string;
  /** `--yaml-max-*`: what one file of a `--dir` may hold; the defaults when absent. */
  readonly yamlLimits?: YamlLimits;
  /** `--guardrail-workers` (0: no pool) and `--guardrail-inline-chars`; the defaults when absent. */
  readonly guardrailWorkers?: CheckPoolOptions;
  /** Enforcement settings (`--decision-deadline`, `--enforce-baseline-context`, …); defaults when absent. */
  readonly enforce?: Partial<EnforceOptions>;
  /** `--agentgateway-port`: also serve agentgateway's `/request` and `/response` at the root of this port. */
  readonly agentgatewayPort?: number;
  /** `--kubernetes`: reconcile the cluster's railyard.dev objects instead of folders. */
  readonly kubernetes?: KubernetesServeOptions;
};

/** The `--kubernetes` settings; unset ones take the operator's defaults (`operatorConfig`). */
export type KubernetesServeOptions = Partial<
  Pick<
    OperatorConfig,
    | 'namespaces'
    | 'leaseNamespace'
    | 'historyNamespace'
    | 'historyDrafts'
    | 'identity'
    | 'leaseDurationMs'
    | 'renewDeadlineMs'
    | 'retryPeriodMs'
    | 'shadowStatusEveryMs'
  >
> & {
  /** `--kubeconfig`; without it `$KUBECONFIG`, `~/.kube/config`, then the pod's service account. */
  readonly kubeconfig?: string;
  /** `--token-audience`: a cluster token's TokenReview must include one of these (none: no check). */
  readonly tokenAudiences?: readonly string[];
};

/** How long one reconcile pass or status write may run before `/livez` calls the process wedged. */
const WEDGED_AFTER_MS = 300_000;

/** The `detail` of every HTTP API write in Kubernetes mode (a 405). */
const KUBERNETES_WRITES_REFUSED =
  'Kubernetes mode: policies, their versions and attachments are the Policy and PolicyAttachment objects of the cluster; change them with kubectl apply or your GitOps tool (Argo CD, Flux). This API only reads here.';

/**
 * `railyard serve`: reconcile the sources into the registry and serve it over HTTP until SIGTERM
 * or SIGINT, then stop accepting, finish what is in flight and return 0.
 */
export async function serveCommand(opts: ServeOptions, io: Io, signal: AbortSignal): Promise<number> {
  disablePretenuring();
  if (!opts.kubernetes) await requireFolders(opts.dir);
  const log = createLogger({ destination: io.stdout });
  if (!pinTickShape())
    log.warn('could not pin the process.nextTick entry shape; requests may slow down after idle periods');
  const metrics = new Metrics();
  metrics.collectDefaults();
  const stopping = new AbortController();
  /** The usage file (directory mode), once opened: what shadow runs found is saved in it too. */
  let usageFile: UsageFile | undefined;
  const shadows = new ShadowRecorder({ onChange: () => usageFile?.changed() });
  metrics.shadowsOf(() => shadows.lifetime());
  const cluster =
    opts.kubernetes && (await startOperatorFor(opts.kubernetes, log, metrics, () => shadows.stats()));
  const operator = cluster?.operator;
  const store = operator ? operator.store : createLowdbStore(join(opts.data, 'registry.json'));
  const registry = new Registry({
    store,
    onPublish: (snapshot) => metrics.snapshotRevision.set(snapshot.revision),
  });
  metrics.countObjectsOf(() => registry.snapshot().statuses);
  await operator?.startStore(stopping.signal);
  await registry.load();
  const source =
    operator?.source ??
    new DirectorySource({
      dirs: opts.dir,
      defaultNamespace: opts.namespace,
      onError: (err) => log.error({ err }, 'directory source error'),
      onFileProblem: (file, message) => log.warn({ file }, message),
      ...(opts.yamlLimits ? { yamlLimits: opts.yamlLimits } : {}),
    });
  const controller = new Controller({
    source,
    registry,
    log,
    metrics,
    // A folder's events come per file; a short window still gathers a checkout's burst into one pass.
    debounceMs: operator ? 20 : 5,
    ...(operator ? { onPass: operator.onPass } : {}),
  });

  // A pass or a status write in flight this long is wedged (a first sync of 10,000 objects takes
  // well under a minute): `/livez` fails, and the kubelet restarts the process.
  const liveness = new Liveness({
    watched: [
      { name: 'a reconcile pass', busyFor: () => controller.busyFor(), limitMs: WEDGED_AFTER_MS },
      ...(operator
        ? [{ name: 'a status write', busyFor: () => operator.busyFor(), limitMs: WEDGED_AFTER_MS }]
        : []),
    ],
  });
  liveness.start();

  const tokens = await loadTokens({
    readTokens: process.env.RAILYARD_READ_TOKEN,
    adminTokens: process.env.RAILYARD_ADMIN_TOKEN,
    tokenFile: opts.tokenFile,
    dataDir: opts.data,
    ...(cluster ? { verifier: cluster.verifier } : {}),
  }).catch((e: Error) => {
    throw new UsageError(e.message);
  });
  if (tokens.generatedAt) {
    log.warn(
      { tokenFile: tokens.generatedAt },
      'no token configured: generated an admin token; read it from this file',
    );
  }

  const file = operator
    ? undefined
    : new UsageFile({
        path: join(opts.data, 'usage.json'),
        onProblem: (message, err) => log.error({ ...(err ? { err } : {}) }, message),
      });
  usageFile = file;
  const usage = new UsageRecorder(file ? { onChange: () => file.changed() } : {});
  await file?.attach(usage, shadows);
  metrics.usageOf(() => usage.lifetime());

  const templates = await loadTemplates(opts.templates ?? SHIPPED_TEMPLATES);
  for (const problem of templates.problems) log.warn({ problem }, 'policy template left out');

  const base = {
    registry,
    auth: tokens.authenticator,
    metrics,
    log,
    defaultNamespace: opts.namespace,
    bodyLimitBytes: opts.bodyLimitBytes,
    reconcileStatus: () => (operator ? operator.describe(controller.status()) : controller.status()),
    live: () => liveness.check(),
    templates: templates.templates,
    usage,
    shadows,
    ...(operator ? { ready: () => operator.ready(), writesRefused: KUBERNETES_WRITES_REFUSED } : {}),
  };
  const workers = opts.guardrailWorkers ?? CHECK_POOL_DEFAULTS;
  const guardrailPool = workers.threads > 0 ? new CheckPool(workers) : undefined;
  const enforcement = createEnforcement(base, {
    ...opts.enforce,
    ...(guardrailPool ? { guardrailPool } : {}),
  });
  const server = createHttpServer({ ...base, enforcement });
  const gateway =
    opts.agentgatewayPort === undefined
      ? undefined
      : createFastRouteServer(enforcement.agentgatewayRootRoutes, { ...base, enforcement });
  if (gateway) {
    await new Promise<void>((ok, fail) => {
      gateway.once('error', fail);
      gateway.listen(opts.agentgatewayPort, opts.host, () => ok());
    });
    log.info({ port: (gateway.address() as AddressInfo).port }, 'agentgateway webhook listening');
  }
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  log.info({ port, ...(operator ? { kubernetes: opts.kubernetes } : { dirs: opts.dir }) }, 'listening');

  const operating = operator?.run(registry, controller, stopping.signal);
  await controller.start(stopping.signal);
  if (!operator && registry.synced()) compactHeap();

  await new Promise<void>((ok) => {
    if (signal.aborted) ok();
    signal.addEventListener('abort', () => ok(), { once: true });
  });
  log.info('shutting down');
  liveness.stop();
  stopping.abort();
  await controller.stop();
  await operating;
  await Promise.all(
    [server, gateway].map(
      (s) =>
        s &&
        new Promise<void>((ok) => {
          s.close(() => ok());
          s.closeIdleConnections();
        }),
    ),
  );
  await enforcement.shadows?.close();
  await usageFile?.flush();
  await guardrailPool?.destroy();
  log.info('stopped');
  return 0;
}

/**
 * The Kubernetes client is loaded only in Kubernetes mode: it is most of the process's memory
 * (about 80 MB of RSS), which directory mode has no use for.
 */
async function startOperatorFor(
  options: KubernetesServeOptions,
  log: Logger,
  metrics: Metrics,
  shadowCounts: () => readonly ShadowStats[],
): Promise<{ operator: Operator; verifier: TokenVerifier }> {
  const [{ kubeConfigFrom, tokenReviewVerifier }, { Operator }] = await Promise.all([
    import('../kube/index.ts'),
    import('../operator/index.ts'),
  ]);
  const { kubeconfig, tokenAudiences, ...kubernetes } = options;
  const kubeConfig = kubeConfigFrom(kubeconfig === undefined ? {} : { kubeconfigPath: kubeconfig });
  return {
    operator: new Operator({ ...kubernetes, kubeConfig, log, metrics, shadowCounts }),
    // Cluster tokens (a proxy's ServiceAccount) are checked with the API server.
    verifier: tokenReviewVerifier(kubeConfig, {
      audiences: tokenAudiences ?? [],
      grants: CLUSTER_ROLE_GRANTS,
    }),
  };
}

/** A `--dir` that is not a folder is a typo, not an empty policy set: refuse to start. */
async function requireFolders(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new UsageError(
        `--dir ${dir}: no such folder; pass the folder that holds your Policy, PolicyAttachment and Guardrail YAML`,
      );
    }
  }
}
