import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { kubeConfigFrom } from '../../src/kube/client.ts';
import { type ObjectRef, RestartingInformer } from '../../src/kube/informer.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';

const converge = { timeout: 8_000, interval: 25 };

describeKube('RestartingInformer on real ConfigMaps', () => {
  let kube: KubeApiServer;
  let direct: CoreV1Api;
  let proxy: FaultProxy;
  let proxiedKc: KubeConfig;
  const running: RestartingInformer<V1ConfigMap>[] = [];
  let namespaces = 0;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    direct = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig() }).makeApiClient(CoreV1Api);
    proxy = await startFaultProxy(kube.server);
    proxiedKc = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig(undefined, proxy.url) });
  });
  afterEach(async () => {
    proxy.clearRules();
    await Promise.all(running.splice(0).map((i) => i.stop()));
  });
  afterAll(async () => {
    await proxy?.stop();
    await kube?.stop();
  });

  async function namespace(): Promise<string> {
    const name = `inf-${++namespaces}`;
    await direct.createNamespace({ body: { metadata: { name } } });
    return name;
  }

  const put = (namespace: string, name: string, data: Record<string, string>) =>
    direct.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data } });
  const remove = (namespace: string, name: string) => direct.deleteNamespacedConfigMap({ name, namespace });

  /** An informer on one namespace's ConfigMaps through the fault proxy, recording every change and delay. */
  async function informer(
    ns: string,
    o: { resyncMs?: number; transform?: (cm: V1ConfigMap) => V1ConfigMap } = {},
  ) {
    const api = proxiedKc.makeApiClient(CoreV1Api);
    const changes: string[] = [];
    const delays: number[] = [];
    const inf = new RestartingInformer<V1ConfigMap>({
      kubeConfig: proxiedKc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      list: () => api.listNamespacedConfigMap({ namespace: ns }),
      backoff: { initialMs: 50, maxMs: 400, jitter: 0 },
      ...(o.resyncMs === undefined ? {} : { resyncMs: o.resyncMs }),
      ...(o.transform === undefined ? {} : { transform: o.transform }),
      delay: (ms, signal) => {
        if (ms < 60_000) delays.push(ms);
        return new Promise((resolve) => {
          const t = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          });
        });
      },
    });
    inf.onChange((ref: ObjectRef) => changes.push(`${ref.namespace}/${ref.name}`));
    running.push(inf);
    await inf.start();
    return { inf, changes, delays };
  }

  const cached = (inf: RestartingInformer<V1ConfigMap>) =>
    inf
      .list()
      .map((c) => `${c.metadata?.name}=${JSON.stringify(c.data ?? {})}`)
      .sort();
  const onServer = async (ns: string) =>
    (await direct.listNamespacedConfigMap({ namespace: ns })).items
      .map((c) => `${c.metadata?.name}=${JSON.stringify(c.data ?? {})}`)
      .sort();

  test('lists what exists, then sees add, update and delete', async () => {
    const ns = await namespace();
    await put(ns, 'before', { v: '0' });
    const { inf, changes } = await informer(ns);
    expect(inf.healthy()).toBe(true);
    expect(changes).toContain(`${ns}/before`);
    expect(inf.get('before', ns)?.data).toEqual({ v: '0' });

    await put(ns, 'a', { v: '1' });
    await vi.waitFor(() => expect(inf.get('a', ns)?.data).toEqual({ v: '1' }), converge);
    expect(changes).toContain(`${ns}/a`);

    const cm = await direct.readNamespacedConfigMap({ name: 'a', namespace: ns });
    await direct.replaceNamespacedConfigMap({ name: 'a', namespace: ns, body: { ...cm, data: { v: '2' } } });
    await vi.waitFor(() => expect(inf.get('a', ns)?.data).toEqual({ v: '2' }), converge);

    const before = changes.length;
    await remove(ns, 'a');
    await vi.waitFor(() => expect(inf.get('a', ns)).toBeUndefined(), converge);
    expect(changes.slice(before)).toEqual([`${ns}/a`]);
    expect(inf.stats()).toEqual({ restarts: 0, relists: 0 });
  });

  test('caches what its transform keeps, of listed and of watched objects alike', async () => {
    const ns = await namespace();
    await put(ns, 'listed', { v: '1' });
    const slim = (cm: V1ConfigMap): V1ConfigMap => ({
      metadata: {
        name: cm.metadata?.name,
        namespace: cm.metadata?.namespace,
        resourceVersion: cm.metadata?.resourceVersion,
      },
      data: cm.data,
    });
    const { inf } = await informer(ns, { transform: slim });
    await put(ns, 'watched', { v: '2' });
    await vi.waitFor(() => expect(inf.get('watched', ns)?.data).toEqual({ v: '2' }), converge);
    for (const name of ['listed', 'watched']) {
      const cm = inf.get(name, ns);
      expect(Object.keys(cm?.metadata ?? {}).sort()).toEqual(['name', 'namespace', 'resourceVersion']);
      expect(cm?.metadata?.resourceVersion).toMatch(/^\d+$/);
    }
    // The server sends managedFields: the transform is what dropped them.
    expect(
      (await direct.readNamespacedConfigMap({ name: 'watched', namespace: ns })).metadata?.managedFields,
    ).toBeDefined();
  });

  test('survives its watch connection being dropped', async () => {
    const ns = await namespace();
    const { inf } = await informer(ns);
    await vi.waitFor(() => expect(proxy.dropWatches()).toBeGreaterThan(0), converge);
    await put(ns, 'after-drop', { v: '1' });
    await vi.waitFor(async () => expect(cached(inf)).toEqual(await onServer(ns)), converge);
    expect(cached(inf)).toContain('after-drop={"v":"1"}');
    await vi.waitFor(() => expect(inf.healthy()).toBe(true), converge);
  });

  test('a 410 Gone on the watch makes it re-list and announce every object again', async () => {
    const ns = await namespace();
    await put(ns, 'x', { v: '1' });
    await put(ns, 'y', { v: '1' });
    const { inf, changes } = await informer(ns);
    const gone = proxy.addRule({
      match: { path: new RegExp(`/namespaces/${ns}/`), watch: true },
      fault: { kind: 'status', status: 410 },
      times: 1,
    });
    const before = changes.length;
    await vi.waitFor(() => expect(proxy.dropWatches()).toBeGreaterThan(0), converge);
    await vi.waitFor(() => expect(gone.hits()).toBe(1), converge);
    await vi.waitFor(
      () => expect(changes.slice(before)).toEqual(expect.arrayContaining([`${ns}/x`, `${ns}/y`])),
      converge,
    );
    expect(inf.stats().relists).toBeGreaterThanOrEqual(1);
    await remove(ns, 'x');
    await vi.waitFor(async () => expect(cached(inf)).toEqual(await onServer(ns)), converge);
  });

  test('500s make it restart with growing backoff; it converges, announcing what changed while it was down', async () => {
    const ns = await namespace();
    await put(ns, 'doomed', { v: '1' });
    const { inf, changes, delays } = await informer(ns);
    expect(inf.healthy()).toBe(true);
    const failing = proxy.addRule({
      match: { path: new RegExp(`/namespaces/${ns}/configmaps`) },
      fault: { kind: 'status', status: 500 },
      times: 4,
    });
    await vi.waitFor(() => expect(proxy.dropWatches()).toBeGreaterThan(0), converge);
    // Change the world while the informer cannot see it.
    await vi.waitFor(() => expect(inf.healthy()).toBe(false), converge);
    await remove(ns, 'doomed');
    await put(ns, 'born', { v: '1' });
    const before = changes.length;

    await vi.waitFor(() => expect(failing.hits()).toBe(4), converge);
    await vi.waitFor(() => expect(inf.healthy()).toBe(true), converge);
    await vi.waitFor(async () => expect(cached(inf)).toEqual(await onServer(ns)), converge);
    expect(cached(inf)).toEqual(['born={"v":"1"}']);
    expect(changes.slice(before)).toEqual(expect.arrayContaining([`${ns}/doomed`, `${ns}/born`]));
    expect(delays.slice(0, 4)).toEqual([50, 100, 200, 400]);
    // Four 500s, plus the dropped connection itself when undici reports it as an error.
    expect(inf.stats().restarts).toBeGreaterThanOrEqual(4);
    expect(inf.stats().restarts).toBeLessThanOrEqual(5);
    expect(inf.stats().lastError).toMatchObject({ code: 500, reason: 'InternalError' });
  });

  test('a watch answered 500 after a good list still backs off: the backoff resets only once watching', async () => {
    const ns = await namespace();
    const { inf, delays } = await informer(ns);
    const failing = proxy.addRule({
      match: { path: new RegExp(`/namespaces/${ns}/configmaps`), watch: true },
      fault: { kind: 'status', status: 500 },
      times: 3,
    });
    await vi.waitFor(() => expect(proxy.dropWatches()).toBeGreaterThan(0), converge);
    await vi.waitFor(() => expect(failing.hits()).toBe(3), converge);
    await put(ns, 'late', { v: '1' });
    await vi.waitFor(async () => expect(cached(inf)).toEqual(await onServer(ns)), converge);
    expect(inf.healthy()).toBe(true);
    // Three 500s (plus the dropped connection, when undici reports it as an error): never reset to 50.
    expect(delays.length).toBeGreaterThanOrEqual(3);
    expect(delays).toEqual([50, 100, 200, 400].slice(0, delays.length));
    expect(inf.stats().lastError).toMatchObject({ code: 500 });
  });

  test('the periodic re-list announces every object again', async () => {
    const ns = await namespace();
    await put(ns, 'p', { v: '1' });
    const { inf, changes } = await informer(ns, { resyncMs: 200 });
    await vi.waitFor(() => expect(inf.stats().relists).toBeGreaterThanOrEqual(2), converge);
    expect(changes.filter((c) => c === `${ns}/p`).length).toBeGreaterThanOrEqual(3);
    expect(inf.stats().restarts).toBe(0);
  });

  test('stop leaves no request open and keeps the cache readable', async () => {
    const ns = await namespace();
    await put(ns, 'kept', { v: '1' });
    const { inf } = await informer(ns);
    await inf.stop();
    expect(inf.healthy()).toBe(false);
    await vi.waitFor(() => expect(proxy.openWatches()).toBe(0), converge);
    const seen = proxy.requests().length;
    await put(ns, 'unseen', { v: '1' });
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.requests().length).toBe(seen);
    expect(cached(inf)).toEqual(['kept={"v":"1"}']);
  });
});
