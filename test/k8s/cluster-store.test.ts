/**
 * What the cluster store does beyond the store contract, on a real API server: where histories
 * live and how they are labelled, which writes it refuses before sending, and that the largest
 * history `fit` lets through is one the API server accepts.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { PolicyHistory, PolicyVersion } from '../../src/engine/index.ts';
import { kubeConfigFrom } from '../../src/kube/index.ts';
import {
  ClusterStore,
  type ClusterStoreOptions,
  DEFAULT_HISTORY_BYTES,
} from '../../src/store/cluster/index.ts';
import { StoreError } from '../../src/store/index.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';
import { eventually } from '../support/railyard-process.ts';

const version = (n: number, status: PolicyVersion['status'], bytes: number): PolicyVersion => ({
  policyId: `id-${n}`,
  policyName: 'p',
  versionNumber: n,
  status,
  parentVersionId: null,
  digest: `d${n}`,
  content: { guardrails: { add: ['g'], remove: [] }, description: String(n).repeat(bytes) },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  publishedAt: null,
  productionAt: null,
  createdBy: null,
  updatedBy: null,
});
const history = (namespace: string, name: string, versions: PolicyVersion[]): PolicyHistory => ({
  namespace,
  name,
  origin: { kind: 'kubernetes', namespace, name },
  active: true,
  versions,
});

describeKube('ClusterStore: layout and limits on a real API server', () => {
  let kube: KubeApiServer;
  let kubeConfig: KubeConfig;
  const open: { store: ClusterStore; stop: AbortController }[] = [];
  let namespaces = 0;

  const newStore = async (o: Partial<ClusterStoreOptions> = {}) => {
    const namespace = o.namespace ?? `hist-${++namespaces}`;
    await kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: namespace } } })
      .catch(() => undefined);
    const store = new ClusterStore({ kubeConfig, namespace, ...o });
    const stop = new AbortController();
    open.push({ store, stop });
    await store.start(stop.signal);
    await store.load();
    return { store, namespace };
  };
  const configMaps = async (namespace: string) =>
    (await kubeConfig.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace })).items.filter((cm) =>
      cm.metadata?.name?.startsWith('railyard-policy-'),
    );

  beforeAll(async () => {
    kube = await startKubeApiServer();
    kubeConfig = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig() });
  });
  afterEach(async () => {
    for (const { store, stop } of open.splice(0)) {
      stop.abort();
      await store.stop();
    }
  });
  afterAll(async () => {
    await kube?.stop();
  });

  test('its own write is not news, even when the informer shows it before the write is answered', async () => {
    const proxy = await startFaultProxy(kube.server);
    try {
      const proxied = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig(undefined, proxy.url) });
      const { store, namespace } = await newStore({ kubeConfig: proxied });
      let foreign = 0;
      store.onForeignChange(() => foreign++);
      // The write takes effect (and is watched) at once; its answer comes 400 ms later.
      proxy.addRule({
        match: { method: /^(PUT|POST)$/, path: /\/configmaps/ },
        fault: { kind: 'delayAnswer', ms: 400 },
      });
      const v1 = version(1, 'production', 10);
      await store.save({ policies: [history(namespace, 'p', [v1])], attachments: [] });
      await store.save({
        policies: [history(namespace, 'p', [v1, version(2, 'draft', 10)])],
        attachments: [],
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(foreign).toBe(0);
      // Another writer's change is news.
      const [cm] = await configMaps(namespace);
      await kubeConfig.makeApiClient(CoreV1Api).replaceNamespacedConfigMap({
        name: cm?.metadata?.name ?? '',
        namespace,
        body: { ...cm, metadata: { ...cm?.metadata, labels: { ...cm?.metadata?.labels, touched: 'yes' } } },
      });
      await eventually(async () => (foreign === 1 ? true : undefined), 5_000);
    } finally {
      await proxy.stop();
    }
  });

  test('every history is a ConfigMap in the store’s namespace, labelled, written by the field manager railyard', async () => {
    const { store, namespace } = await newStore();
    await store.save({
      policies: [
        history('team-a', 'p', [version(1, 'production', 10)]),
        history('team-b', 'p', [version(1, 'draft', 10)]),
      ],
      attachments: [],
    });
    const cms = await configMaps(namespace);
    expect(cms.map((cm) => cm.metadata?.name).sort()).toEqual([
      'railyard-policy-team-a.p',
      'railyard-policy-team-b.p',
    ]);
    expect(cms.find((cm) => cm.metadata?.name === 'railyard-policy-team-a.p')?.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'railyard',
      'railyard.dev/store': 'history',
      'railyard.dev/policy-namespace': 'team-a',
      'railyard.dev/policy': 'p',
      'railyard.dev/production-version': '1',
    });
    for (const cm of cms) expect(cm.metadata?.managedFields?.map((f) => f.manager)).toEqual(['railyard']);
    for (const ns of ['team-a', 'team-b']) expect(await configMaps(ns)).toEqual([]);
  });

  test('a store for some policy namespaces sees only their histories, and leaves the others alone', async () => {
    const { store: all, namespace } = await newStore();
    await all.save({
      policies: [
        history('team-a', 'p', [version(1, 'production', 10)]),
        history('team-b', 'q', [version(1, 'production', 10)]),
      ],
      attachments: [],
    });
    const { store: onlyA } = await newStore({ namespace, policyNamespaces: ['team-a'] });
    const state = await onlyA.load();
    expect(state.policies.map((h) => `${h.namespace}/${h.name}`)).toEqual(['team-a/p']);
    await onlyA.save({ policies: [], attachments: [] });
    expect((await configMaps(namespace)).map((cm) => cm.metadata?.name)).toEqual([
      'railyard-policy-team-b.q',
    ]);
  });

  test('attachments and oversized histories are refused before anything is sent', async () => {
    const { store, namespace } = await newStore();
    const attachment = {
      attachmentId: 'a',
      namespace: 'team-a',
      spec: { policy: 'p', scope: '*', teams: [], keys: [], models: [], tags: [], priority: 0 },
      origin: { kind: 'api' },
      createdAt: '',
      updatedAt: '',
      createdBy: null,
      updatedBy: null,
    } as const;
    await expect(
      store.save({
        policies: [history('team-a', 'ok', [version(1, 'production', 10)])],
        attachments: [attachment],
      }),
    ).rejects.toThrow(/PolicyAttachment/);
    const huge = history('team-a', 'huge', [version(1, 'production', 1_100_000)]);
    await expect(store.save({ policies: [huge], attachments: [] })).rejects.toBeInstanceOf(StoreError);
    expect(await configMaps(namespace)).toEqual([]);
  });

  test('the largest history fit() lets through is accepted by the API server', async () => {
    const { store, namespace } = await newStore();
    // Five versions of about 240 KB: more than one ConfigMap holds.
    const h = history('team-a', 'big', [
      version(1, 'published', 240_000),
      version(2, 'published', 240_000),
      version(3, 'published', 240_000),
      version(4, 'published', 240_000),
      version(5, 'production', 240_000),
    ]);
    const fit = store.fit(h);
    if (!fit.ok) throw new Error(fit.message);
    expect(fit.dropped).toEqual([1]);
    const bytes = new TextEncoder().encode(JSON.stringify(fit.history)).length;
    expect(bytes).toBeLessThanOrEqual(DEFAULT_HISTORY_BYTES);
    expect(bytes).toBeGreaterThan(900_000);
    await store.save({ policies: [fit.history], attachments: [] });
    expect((await configMaps(namespace)).map((cm) => cm.metadata?.name)).toEqual([
      'railyard-policy-team-a.big',
    ]);
    // Unfitted, the same history is refused by the store (the API server would answer 422).
    await expect(store.save({ policies: [h], attachments: [] })).rejects.toThrow(
      /over the API server's limit/,
    );
  });
});
