/**
 * The processes under test: the real `railyard serve` (through the test suite's launcher) and the
 * bare baseline server, each in its own child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type RailyardProcess, READER_TOKEN, startRailyard } from '../test/support/railyard-process.ts';

export { READER_TOKEN };
export const AUTH_HEADERS = { authorization: `Bearer ${READER_TOKEN}` } as const;

export type Running = { readonly url: string; readonly child: ChildProcess; stop(): Promise<void> };

/**
 * `railyard serve --dir <dir> [args]` at info level, with `nodeFlags` on node's command line;
 * resolves once it is listening (not yet synced).
 */
export async function startServe(
  dir: string,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
): Promise<RailyardProcess> {
  return startRailyard({
    args: ['--dir', dir, ...args],
    env: { RAILYARD_LOG_LEVEL: 'info' },
    waitForReady: false,
    nodeFlags,
  });
}

/**
 * Runs `measure` with `others` paused (SIGSTOP) and resumes them after, so the server measured has
 * its cores to itself. The servers of a comparison are placed alike, and the one waiting its turn
 * is not idle: a few seconds after its own load stops, V8's memory reducer runs full collections
 * there. Measured at 35,000 req/s: the bare server's p99 0.7 ms alone, 3 ms beside a
 * 10,000-policy Railyard that had just been under load.
 */
export async function alone<T>(
  others: readonly { readonly child: ChildProcess }[],
  measure: () => Promise<T>,
): Promise<T> {
  for (const other of others) other.child.kill('SIGSTOP');
  try {
    return await measure();
  } finally {
    for (const other of others) other.child.kill('SIGCONT');
  }
}

/** Polls `/readyz` every 10 ms until it answers 200. */
export async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) return;
    await res?.body?.cancel();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url}/readyz did not turn ready within ${timeoutMs} ms`);
}

/** The bare baseline answering `body`, started in `dir` (where the body file is written). */
export async function startBaseline(body: string, dir: string): Promise<Running> {
  const bodyFile = join(dir, 'baseline-body.json');
  await writeFile(bodyFile, body);
  const child = spawn(process.execPath, [join(import.meta.dirname, 'baseline-server.ts'), bodyFile], {
    env: { ...process.env, RAILYARD_READ_TOKEN: READER_TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', ok);
    void exited.then(() => fail(new Error('baseline server exited before listening')));
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
