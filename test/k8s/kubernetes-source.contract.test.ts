import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect } from 'vitest';
import { kubeConfigFrom, kubeError } from '../../src/kube/index.ts';
import { KubernetesSource } from '../../src/sources/kubernetes/index.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';
import { runSourceContract } from '../support/source-contract.ts';
import { installCrds } from './operator-support.ts';

const GROUP = 'railyard.dev';
const VERSION = 'v1alpha1';

describeKube('KubernetesSource on a real API server', () => {
  let kube: KubeApiServer;
  let proxy: FaultProxy;
  let namespaces = 0;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    await installCrds(kube);
    proxy = await startFaultProxy(kube.server);
  });
  afterAll(async () => {
    await proxy?.stop();
    await kube?.stop();
  });

  runSourceContract('KubernetesSource', {
    timeoutMs: 10_000,
    outage: true,
    newSource: async (seed) => {
      const direct = kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig() });
      const objects = direct.makeApiClient(CustomObjectsApi);
      const namespace = `source-${++namespaces}`;
      await direct.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
      const PLURALS: Record<string, string> = { Guardrail: 'guardrails', Policy: 'policies' };
      const plural = (kind: string) => PLURALS[kind] ?? kind;
      /** Creates the object, or replaces it at its current resourceVersion. */
      const apply = async (kind: string, name: string, spec: unknown) => {
        const body = { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name, namespace }, spec };
        const at = { group: GROUP, version: VERSION, namespace, plural: plural(kind), name };
        const current = (await objects.getNamespacedCustomObject(at).catch(() => undefined)) as
          | { metadata: { resourceVersion: string } }
          | undefined;
        if (!current) await objects.createNamespacedCustomObject({ ...at, body });
        else
          await objects.replaceNamespacedCustomObject({
            ...at,
            body: {
              ...body,
              metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion },
            },
          });
      };
      const guardrailSpec = (word: string) => ({
        type: 'keywords',
        mode: 'pre_call',
        config: { words: [word] },
      });
      for (const [name, word] of Object.entries(seed)) await apply('Guardrail', name, guardrailSpec(word));
      const source = new KubernetesSource({
        kubeConfig: kubeConfigFrom({ kubeconfigPath: await kube.kubeconfig(undefined, proxy.url) }),
        namespaces: [namespace],
        informer: { backoff: { initialMs: 50, maxMs: 400, jitter: 0 } },
      });
      return {
        source,
        put: (name, word) => apply('Guardrail', name, guardrailSpec(word)),
        remove: async (name) => {
          for (const kind of ['Guardrail', 'Policy']) {
            await objects
              .deleteNamespacedCustomObject({
                group: GROUP,
                version: VERSION,
                namespace,
                plural: plural(kind),
                name,
              })
              .catch((e: unknown) => {
                if (kubeError(e).code !== 404) throw e;
              });
          }
        },
        // `condition.model` is a string or a list, which a structural schema cannot type: the API
        // server stores a number there, and Railyard's own schema check refuses the document.
        putRejected: async (name) => {
          await apply('Policy', name, { guardrails: { add: ['alpha'] }, condition: { model: 42 } });
          return { kind: 'Policy', namespace, name };
        },
        putUnreadable: {
          impossible: 'the API server stores only documents it has parsed',
          refused: async (name) => {
            const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/guardrails`;
            const broken = `{"apiVersion": "${GROUP}/${VERSION}", "kind": "Guardrail", "metadata": {"name": "${name}"`;
            const { code, stderr } = await kube.kubectl(['create', '--raw', path, '-f', '-'], {
              input: broken,
            });
            expect(code).not.toBe(0);
            expect(stderr).toMatch(/BadRequest.*json parse error/);
          },
        },
        outage: {
          interrupt: async () => {
            proxy.addRule({ match: {}, fault: { kind: 'status', status: 503 } });
            proxy.dropWatches();
          },
          resume: async () => proxy.clearRules(),
        },
        close: async () => {},
      };
    },
  });
});
