/**
 * Where the HTTP measurements run: the load generator on one core, the server under test on
 * another, when the machine has two or more CPUs and Linux's `taskset`. Sharing cores, the two
 * took turns at random, and the generator's own stalls then showed up as the server's latency
 * tail (p99 at half the peak: 2–8 ms for the bare server and Railyard alike; pinned, 0.6–1.7 ms).
 * Both servers of a comparison are placed the same way, so ratios stay like for like.
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const GENERATOR_CPU = '0';
const SERVER_CPU = '1';

/** True when generator and servers are kept on separate cores. */
export const separateCores =
  availableParallelism() >= 2 && spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** How a generator's command line runs: on its own core when `separateCores`. */
export function onGeneratorCore(command: string, args: readonly string[]): [string, string[]] {
  return separateCores ? ['taskset', ['-c', GENERATOR_CPU, command, ...args]] : [command, [...args]];
}

/** Moves a running server (every thread) to the server core when `separateCores`. */
export async function toServerCore(pid: number | undefined): Promise<void> {
  if (!separateCores || pid === undefined) return;
  const child = spawn('taskset', ['-a', '-p', '-c', SERVER_CPU, String(pid)], { stdio: 'ignore' });
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  if (code !== 0)
    throw new Error(`taskset could not move process ${pid} to CPU ${SERVER_CPU} (exit ${code})`);
}

/** How the report describes the placement. */
export const placement = separateCores
  ? `generator on CPU ${GENERATOR_CPU}, server on CPU ${SERVER_CPU} (taskset)`
  : 'generator and server sharing the CPUs';
