/**
 * The source watches Namespaces for the labels floor selectors read. A Namespace event that does
 * not change those labels must not start a pass: namespaces change for many reasons (annotations,
 * other controllers' labels on unwatched ones), and each pass reads every object.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { kubeConfigFrom } from '../../src/kube/index.ts';
import { KubernetesSource } from '../../src/sources/kubernetes/index.ts';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';
import { installCrds, kubectlOk } from './operator-support.ts';

describeKube('KubernetesSource and Namespace events', () => {
  let kube: KubeApiServer;
  beforeAll(async () => {
    kube = await startKubeApiServer();
    await installCrds(kube);
  });
  afterAll(async () => {
    await kube?.stop();
  });

  test('an annotation or a label of an unwatched namespace starts no pass; a watched label does', async () => {
    const config = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig() });
    const core = config.makeApiClient(CoreV1Api);
    for (const name of ['watched', 'elsewhere']) await core.createNamespace({ body: { metadata: { name } } });
    const source = new KubernetesSource({ kubeConfig: config, namespaces: ['watched'] });
    let passes = 0;
    const stop = new AbortController();
    await source.start(() => passes++, stop.signal);
    try {
      await expect.poll(() => source.synced(), { timeout: 10_000 }).toBe(true);
      const settled = passes;
      const patch = (name: string, metadata: Record<string, unknown>) =>
        kubectlOk(kube, ['patch', 'namespace', name, '--type=merge', '-p', JSON.stringify({ metadata })]);
      await patch('watched', { annotations: { note: 'not read by floors' } });
      await patch('elsewhere', { labels: { 'railyard.dev/pii': 'required' } });
      // Events of one watch arrive in order: once the label below is seen, the two above were too.
      await patch('watched', { labels: { 'railyard.dev/pii': 'required' } });
      // The informer updates its cache and calls the source in the same tick: once the view shows
      // the label, the source has counted every event up to it.
      await expect
        .poll(() => source.view().namespaceLabels?.get('watched')?.['railyard.dev/pii'], { timeout: 10_000 })
        .toBe('required');
      expect(passes).toBe(settled + 1);
      expect(source.view().namespaceLabels?.has('elsewhere')).toBe(false);
    } finally {
      stop.abort();
      await source.stop();
    }
  });
});
