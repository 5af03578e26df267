/**
 * A real kube-apiserver + etcd for tests, started from `KUBEBUILDER_ASSETS` (the envtest
 * convention: a folder holding `kube-apiserver` and `etcd`). Every instance gets free ports and a
 * fresh temp dir; `stop()` kills the API server first, then etcd, then removes the dir. Instances
 * still running when the process exits are killed, so a failing test leaks no process.
 * `stopApiServer()` and `startApiServer()` take the API server away and bring it back on the same
 * port, with the same certificate and etcd (its data intact): an API server restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe } from 'vitest';

export type ExtraToken = { token: string; user: string; groups: readonly string[] };

type KubectlResult = { code: number; stdout: string; stderr: string };

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>`; the serving certificate is self-signed. */
  readonly server: string;
  /** A token in `system:masters`. */
  readonly adminToken: string;
  /**
   * Writes a kubeconfig (insecure-skip-tls-verify) for `token` (default: the admin token) and
   * `server` (default: this API server, e.g. a fault proxy's URL instead) and returns its path.
   */
  kubeconfig(token?: string, server?: string): Promise<string>;
  /** Runs the real `kubectl` with this server's kubeconfig and a fresh `--cache-dir`; never throws on a non-zero exit. */
  kubectl(args: readonly string[], opts?: { token?: string; input?: string }): Promise<KubectlResult>;
  /** Stops the API server alone (etcd keeps running): clients get connection refused. */
  stopApiServer(): Promise<void>;
  /** Starts the API server again after `stopApiServer`, same port and data; resolves once ready. */
  startApiServer(): Promise<void>;
  /** Kills the API server, then etcd, and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const SKIP_MESSAGE =
  'KUBEBUILDER_ASSETS is not set: skipping Kubernetes tests (set it to a folder with kube-apiserver and etcd)';
const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;

/** The envtest assets folder, or undefined when Kubernetes tests must be skipped. */
function kubeAssets(): string | undefined {
  const dir = process.env.KUBEBUILDER_ASSETS;
  return dir ? dir : undefined;
}

let skipNoticePrinted = false;

/** Instances not stopped yet. */
const live = new Set<KubeApiServer>();
/** Their processes, killed outright if the test process exits first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * `describe` that skips (saying why, once per file) when `KUBEBUILDER_ASSETS` is not set. After
 * its tests it stops every API server still running, so a test that fails before its own cleanup
 * leaks no process.
 */
export function describeKube(name: string, fn: () => void): void {
  const skip = kubeAssets() === undefined;
  if (skip && !skipNoticePrinted) {
    skipNoticePrinted = true;
    console.warn(SKIP_MESSAGE);
  }
  describe.skipIf(skip)(name, () => {
    fn();
    afterAll(() => Promise.all([...live].map((k) => k.stop())));
  });
}

/**
 * Starts etcd and kube-apiserver and resolves once it is ready (about 3 s; see `waitReady`).
 * Throws, with the tail of the failing process's log, when the assets are missing or the server
 * never gets ready; nothing is left running in that case.
 */
export async function startKubeApiServer(
  opts: { extraTokens?: readonly ExtraToken[] } = {},
): Promise<KubeApiServer> {
  const assets = kubeAssets();
  if (assets === undefined) throw new Error(SKIP_MESSAGE);
  for (const bin of ['etcd', 'kube-apiserver']) {
    if (!existsSync(join(assets, bin)))
      throw new Error(`KUBEBUILDER_ASSETS=${assets}: no ${bin} in that folder`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'railyard-kube-'));
  const adminToken = `admin-${process.pid}-${Date.now()}`;
  const tokens = [
    { token: adminToken, user: 'admin', groups: ['system:masters'] },
    ...(opts.extraTokens ?? []),
  ];
  await writeFile(
    join(dir, 'tokens.csv'),
    tokens.map((t, i) => `${t.token},${t.user},uid-${i},"${t.groups.join(',')}"`).join('\n'),
  );
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  await writeFile(join(dir, 'sa.key'), privateKey);

  const [etcdClient, etcdPeer, securePort] = await freePorts(3);
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const peerUrl = `http://127.0.0.1:${etcdPeer}`;
  const server = `https://127.0.0.1:${securePort}`;
  const children: { name: string; child: ChildProcess; log: string }[] = [];

  const stop = async () => {
    // The API server first: killed after etcd, it ignores SIGTERM.
    for (const c of children.splice(0).reverse()) await kill(c.child);
    await rm(dir, { recursive: true, force: true });
  };

  const apiServerArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${securePort}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(dir, 'sa.key')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--endpoint-reconciler-type=none',
  ];
  const launchApiServer = () => launch(dir, 'kube-apiserver', join(assets, 'kube-apiserver'), apiServerArgs);

  try {
    children.push(
      await launch(dir, 'etcd', join(assets, 'etcd'), [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--log-level=error',
      ]),
    );
    children.push(await launchApiServer());
    await waitReady(server, adminToken, children);
  } catch (e) {
    await stop();
    throw e;
  }

  let stopped: Promise<void> | undefined;
  let kubeconfigs = 0;
  const writeKubeconfig = async (token = adminToken, target = server) => {
    const path = join(dir, `kubeconfig-${++kubeconfigs}.yaml`);
    await writeFile(path, kubeconfigYaml(target, token));
    return path;
  };
  const instance: KubeApiServer = {
    server,
    adminToken,
    kubeconfig: writeKubeconfig,
    kubectl: async (args, o = {}) => {
      const cacheDir = await mkdtemp(join(dir, 'kubectl-cache-'));
      const kubeconfig = await writeKubeconfig(o.token);
      return run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], dir, o.input);
    },
    stopApiServer: async () => {
      const i = children.findIndex((c) => c.name === 'kube-apiserver');
      const [api] = i === -1 ? [] : children.splice(i, 1);
      if (api) await kill(api.child);
    },
    startApiServer: async () => {
      if (children.some((c) => c.name === 'kube-apiserver')) return;
      children.push(await launchApiServer());
      await waitReady(server, adminToken, children);
    },
    stop: () => {
      live.delete(instance);
      stopped ??= stop();
      return stopped;
    },
  };
  live.add(instance);
  return instance;
}

function kubeconfigYaml(server: string, token: string): string {
  // JSON is YAML: both kubectl and client-node read it.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'test', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: 'default' } }],
    'current-context': 'test',
  });
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => {
      const s = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      });
    }),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
    return addr.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function launch(dir: string, name: string, bin: string, args: string[]) {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return { name, child, log };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Ready when `/readyz` answers ok and the `default` namespace exists: the API server's bootstrap
 * controller creates it a moment after readiness, and tests write into it at once.
 */
async function waitReady(
  server: string,
  token: string,
  children: readonly { name: string; child: ChildProcess; log: string }[],
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited early:\n${await tail(dead.log)}`);
    last = await describeReadiness(server, token).catch((e: Error) => e.message);
    if (last === 'ok') return;
    await sleep(100);
  }
  const api = children.find((c) => c.name === 'kube-apiserver');
  throw new Error(
    `kube-apiserver not ready after ${READY_TIMEOUT_MS} ms (last: ${last}):\n${api ? await tail(api.log) : ''}`,
  );
}

/** `ok`, or what is not ready yet. */
async function describeReadiness(server: string, token: string): Promise<string> {
  const ready = await get(server, token, '/readyz');
  if (ready.status !== 200 || ready.body.trim() !== 'ok')
    return `/readyz: HTTP ${ready.status}: ${ready.body}`;
  const namespace = await get(server, token, '/api/v1/namespaces/default');
  return namespace.status === 200 ? 'ok' : `namespace default: HTTP ${namespace.status}`;
}

function get(server: string, token: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}${path}`,
      { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function tail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-30).join('\n');
}

function run(cmd: string, args: string[], home: string, input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const { KUBECONFIG: _ignored, ...inherited } = process.env;
    const env = { ...inherited, HOME: home };
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
