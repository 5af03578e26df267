import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO = resolve(import.meta.dirname, '../..');
/** Node 22 from the `node` devDependency, whatever node runs the test runner. */
export const NODE = join(REPO, 'node_modules/.bin/node');
export const RAILYARD = join(REPO, 'bin/railyard.ts');

export type RailyardProcess = {
  readonly url: string;
  readonly token: string;
  readonly child: ChildProcess;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  json<T = Record<string, unknown>>(path: string, init?: RequestInit & { token?: string | null }): Promise<T>;
  /** Resolves when a log line satisfies the predicate (checked against past lines too). */
  waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

export const ADMIN_TOKEN = 'test-admin-token';
export const READER_TOKEN = 'test-reader-token';

/**
 * Runs the real `railyard serve` as a child process on a free port, with a fresh data folder and
 * known admin/reader tokens, and waits until it has synced.
 */
export async function startRailyard(opts: {
  args: readonly string[];
  env?: Record<string, string>;
  data?: string;
  waitForReady?: boolean;
  /** Node and V8 flags before the script (those NODE_OPTIONS does not take). */
  nodeFlags?: readonly string[];
}): Promise<RailyardProcess> {
  const data = opts.data ?? (await mkdtemp(join(tmpdir(), 'railyard-data-')));
  const child = spawn(
    NODE,
    [
      ...(opts.nodeFlags ?? []),
      RAILYARD,
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data',
      data,
      ...opts.args,
    ],
    {
      cwd: REPO,
      env: {
        ...process.env,
        RAILYARD_ADMIN_TOKEN: ADMIN_TOKEN,
        RAILYARD_READ_TOKEN: READER_TOKEN,
        RAILYARD_LOG_LEVEL: 'debug',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line, unparsed: true });
    }
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));

  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) =>
    new Promise<Record<string, unknown>>((ok, fail) => {
      const check = (): void => {
        const hit = logs.find(predicate);
        if (hit) {
          listeners.delete(check);
          clearTimeout(timer);
          ok(hit);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        fail(
          new Error(
            `timed out waiting for a log line; stderr:\n${stderr}\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`,
          ),
        );
      }, timeoutMs);
      listeners.add(check);
      void exited.then(() => check());
      check();
    });

  if (process.env.RAILYARD_TEST_STDERR) child.stderr?.pipe(process.stderr);
  const listening = await waitForLog((l) => l.msg === 'listening');
  const url = `http://127.0.0.1:${listening.port}`;
  const doFetch = (path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> => {
    const token = init.token === undefined ? ADMIN_TOKEN : init.token;
    const headers = new Headers(init.headers);
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    if (init.body !== undefined && !headers.has('content-type'))
      headers.set('content-type', 'application/json');
    return fetch(`${url}${path}`, { ...init, headers });
  };
  const proc: RailyardProcess = {
    url,
    token: ADMIN_TOKEN,
    child,
    logs,
    fetch: doFetch,
    json: async <T>(path: string, init?: RequestInit & { token?: string | null }) => {
      const res = await doFetch(path, init);
      const text = await res.text();
      if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path} → ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    },
    waitForLog,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
  if (opts.waitForReady !== false) await waitForLog((l) => l.msg === 'initial sync complete');
  return proc;
}

/**
 * LiteLLM's pre-call guardrail webhook as the proxy sends it (its key is the reader token): one
 * text from `team`, in `namespace` when given (the static namespace header).
 */
export function postLitellm(
  server: Pick<RailyardProcess, 'fetch'>,
  text: string,
  { team, namespace }: { team: string; namespace?: string },
): Promise<Response> {
  return server.fetch('/litellm/beta/litellm_basic_guardrail_api', {
    method: 'POST',
    token: null,
    headers: {
      'x-api-key': READER_TOKEN,
      'content-type': 'application/json',
      ...(namespace ? { 'x-railyard-namespace': namespace } : {}),
    },
    body: JSON.stringify({
      input_type: 'request',
      texts: [text],
      request_data: { user_api_key_team_alias: team },
    }),
  });
}

/** Polls until the check passes (returns a value) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 5000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
