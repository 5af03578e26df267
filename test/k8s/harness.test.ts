import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeKube, type KubeApiServer, startKubeApiServer } from '../support/kube-apiserver.ts';

function refusesConnections(server: string): Promise<boolean> {
  const { port } = new URL(server);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describeKube('kube-apiserver harness', () => {
  let kube: KubeApiServer;
  beforeAll(async () => {
    kube = await startKubeApiServer({
      extraTokens: [{ token: 'viewer-token', user: 'viewer', groups: ['viewers'] }],
    });
  });
  afterAll(() => kube?.stop());

  test('kubectl reaches the server as admin', async () => {
    const r = await kube.kubectl(['get', 'namespaces', '-o', 'name']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('namespace/default');
  });

  test('kubectl applies stdin and reads it back', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'h1', namespace: 'default' },
      data: { a: 'b' },
    };
    const applied = await kube.kubectl(['apply', '-f', '-'], { input: JSON.stringify(cm) });
    expect(applied.code, applied.stderr).toBe(0);
    const got = await kube.kubectl(['get', 'configmap', 'h1', '-o', 'jsonpath={.data.a}']);
    expect(got.stdout).toBe('b');
  });

  test('an extra token authenticates as its user, and RBAC applies to it', async () => {
    const denied = await kube.kubectl(['get', 'configmaps'], { token: 'viewer-token' });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('User "viewer" cannot list resource "configmaps"');
  });

  test('stop kills both processes and removes the temp dir; a second stop is a no-op', async () => {
    const other = await startKubeApiServer();
    const kubeconfig = await other.kubeconfig();
    expect(existsSync(kubeconfig)).toBe(true);
    await other.stop();
    expect(existsSync(kubeconfig)).toBe(false);
    expect(await refusesConnections(other.server)).toBe(true);
    await other.stop();
  });
});
