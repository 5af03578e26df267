import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { kubeConfigFrom } from '../../src/kube/index.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';

describeKube('kubeConfigFrom on a real API server', () => {
  let kube: KubeApiServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    kube = await startKubeApiServer();
    proxy = await startFaultProxy(kube.server);
  });
  afterAll(async () => {
    await proxy?.stop();
    await kube?.stop();
  });

  test('requests share one connection pool: no TLS connection per request', async () => {
    const kc = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig(undefined, proxy.url) });
    const a = kc.makeApiClient(CoreV1Api);
    const b = kc.makeApiClient(CoreV1Api);
    const before = proxy.connections();
    for (let i = 0; i < 30; i++) await (i % 2 ? a : b).listNamespacedConfigMap({ namespace: 'default' });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        a.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `pooled-${i}` } } }),
      ),
    );
    // One for the sequential lists, at most one per request in flight for the parallel creates;
    // client-node 2.0.1 alone opens one per request: 40 here.
    expect(proxy.connections() - before).toBeLessThanOrEqual(11);
    const sequential = proxy.connections();
    for (let i = 0; i < 20; i++) await a.readNamespacedConfigMap({ name: 'pooled-0', namespace: 'default' });
    expect(proxy.connections()).toBe(sequential);
  });
});
