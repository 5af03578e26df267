/**
 * Where a load generator and the server it measures run. `separate`: the generator on CPU 0, the
 * server on CPU 1, when the machine has two or more CPUs and Linux's `taskset`; `shared`: wherever
 * the scheduler puts them. Measured here, with loadtest as the paced generator (before h2load,
 * not measured again since): near a server's peak, sharing made the two take turns
 * at random and the generator's stalls showed up as the server's latency tail (p99 at half the
 * peak 2–8 ms for the bare server and Railyard alike, about 2 ms separate); at a low rate,
 * separate cores sit idle and on this virtual machine wake slowly (bare server p99 at 500 req/s:
 * 1.9 ms separate, 1.2 ms shared). Both servers of a comparison are always placed alike.
 */
import { execFile, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type Cores = 'separate' | 'shared';

const GENERATOR_CPU = '0';
const SERVER_CPU = '1';

const canSeparate =
  availableParallelism() >= 2 && spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** The command line that runs a generator under `cores`. */
export function generatorCommand(cores: Cores, command: string, args: readonly string[]): [string, string[]] {
  return cores === 'separate' && canSeparate
    ? ['taskset', ['-c', GENERATOR_CPU, command, ...args]]
    : [command, [...args]];
}

/** Moves a running server, every thread, to the server core when `cores` is `separate`. */
export async function placeServer(cores: Cores, pid: number | undefined): Promise<void> {
  if (cores === 'shared' || !canSeparate || pid === undefined) return;
  await execFileAsync('taskset', ['-a', '-p', '-c', SERVER_CPU, String(pid)]).catch(
    (error: { code?: number }) => {
      throw new Error(`taskset could not move process ${pid} to CPU ${SERVER_CPU} (exit ${error.code})`);
    },
  );
}

/** How the report describes a placement. */
export function placement(cores: Cores): string {
  return cores === 'separate' && canSeparate
    ? `generator on CPU ${GENERATOR_CPU}, server on CPU ${SERVER_CPU} (taskset)`
    : 'generator and server sharing the CPUs';
}
