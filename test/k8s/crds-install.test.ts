/**
 * The CRD install commands docs/kubernetes.md documents, run on the test API server: the one for servers
 * older than 1.25 (kubectl validates against the server's OpenAPI, which does not know
 * x-kubernetes-validations) or the one for 1.25+, whichever this server is. Then what users see
 * of the installed CRDs: `kubectl explain` descriptions and the `-o wide` columns.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';
import { eventually } from '../support/railyard-process.ts';
import { kubectlOk } from './operator-support.ts';

/** The commands exactly as docs/kubernetes.md spells them. */
const BEFORE_1_25 = 'kubectl apply --validate=false -f crds/';
const FROM_1_25 = 'kubectl apply --server-side -f crds/';
const DOC = readFileSync(new URL('../../docs/kubernetes.md', import.meta.url), 'utf8');

describeKube('installing the CRDs as docs/kubernetes.md says', () => {
  let kube: KubeApiServer;
  let minor: number;
  beforeAll(async () => {
    kube = await startKubeApiServer();
    const version = JSON.parse(await kubectlOk(kube, ['version', '-o', 'json'])) as {
      serverVersion: { minor: string };
    };
    minor = Number.parseInt(version.serverVersion.minor, 10);
  });
  afterAll(() => kube?.stop());

  test('docs/kubernetes.md gives both commands', () => {
    expect(DOC).toContain(FROM_1_25);
    expect(DOC).toContain(BEFORE_1_25);
  });

  test("the command for this server's version installs the CRDs", async () => {
    if (minor < 25) {
      const plain = await kube.kubectl(['apply', '-f', 'crds/']);
      expect(plain.code, 'kubectl validation should refuse the CEL rules on this server').not.toBe(0);
      expect(plain.stderr).toContain('x-kubernetes-validations');
      const serverSide = await kube.kubectl(['apply', '--server-side', '-f', 'crds/']);
      expect(serverSide.code, 'server-side apply should refuse fields its schema lacks').not.toBe(0);
    }
    const command = (minor < 25 ? BEFORE_1_25 : FROM_1_25).split(' ').slice(1);
    const applied = await kubectlOk(kube, command);
    for (const crd of ['guardrails', 'policies', 'policyattachments']) {
      expect(applied).toContain(`customresourcedefinition.apiextensions.k8s.io/${crd}.railyard.dev`);
    }
    await kubectlOk(kube, ['wait', '--for', 'condition=established', '--timeout=30s', 'crd', '--all']);
    // Applying again (an upgrade) works the same way.
    await kubectlOk(kube, command);
  });

  test('kubectl explain describes the fields', async () => {
    /** The explanation of a field, once the server publishes the CRD's schema (a moment after it is established). */
    const explain = (field: string) =>
      eventually(
        async () => {
          const r = await kube.kubectl(['explain', field]);
          return r.code === 0 ? r.stdout : undefined;
        },
        20_000,
        250,
      );
    expect(await explain('policies.spec.condition')).toContain('When this policy');
    expect(await explain('policies.spec.pipeline.steps.onError')).toContain('as onFail when unset');
    // Not config.url: a v1.20 server's OpenAPI v2 leaves out the properties of a
    // preserve-unknown-fields object, so kubectl explains config instead.
    expect(await explain('guardrails.spec.config')).toContain('Type-specific settings');
    expect(await explain('guardrails.status.conditions.reason')).toContain('CamelCase');
  });

  test('kubectl get -o wide shows the extra columns', async () => {
    const policy = {
      apiVersion: 'railyard.dev/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'child', namespace: 'default' },
      spec: {
        inherit: 'base',
        guardrails: { add: ['pii'] },
        pipeline: { mode: 'pre_call', steps: [{ guardrail: 'pii' }] },
      },
    };
    await kubectlOk(kube, ['apply', '-f', '-'], JSON.stringify(policy));
    const wide = await kubectlOk(kube, ['get', 'policies', '-o', 'wide']);
    const [header, row] = wide.split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'NAME',
      'STAGE',
      'LATEST',
      'PRODUCTION',
      'READY',
      'REASON',
      'DEGRADED',
      'SHADOW',
      'AGE',
      'POLICYNAME',
      'INHERIT',
      'PIPELINE',
      'GUARDRAILS',
    ]);
    expect(row).toMatch(/^child\s.*\sbase\s+pre_call/);
    const narrow = await kubectlOk(kube, ['get', 'policies']);
    expect(narrow.split('\n')[0]).not.toContain('INHERIT');
  });
});
