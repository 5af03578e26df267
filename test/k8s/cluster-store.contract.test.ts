import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { kubeConfigFrom } from '../../src/kube/index.ts';
import { ClusterStore } from '../../src/store/cluster/index.ts';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';
import { runStoreContract } from '../support/store-contract.ts';

describeKube('ClusterStore on a real API server', () => {
  let kube: KubeApiServer;
  const open: { store: ClusterStore; stop: AbortController }[] = [];

  beforeAll(async () => {
    kube = await startKubeApiServer();
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

  describe('contract (histories only: attachments are PolicyAttachment objects in Kubernetes mode)', () =>
    runStoreContract({
      attachments: false,
      newStore: async (namespace) => {
        const kubeConfig = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig() });
        await kubeConfig
          .makeApiClient(CoreV1Api)
          .createNamespace({ body: { metadata: { name: namespace } } });
        // The namespace is the store's (where its ConfigMaps live) and its policies'.
        const store = new ClusterStore({ kubeConfig, namespace });
        const stop = new AbortController();
        open.push({ store, stop });
        await store.start(stop.signal);
        return store;
      },
    }));
});
