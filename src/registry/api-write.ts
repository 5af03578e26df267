/**
 * How a management API write runs: through `Registry.transact`, so that writes are serialised,
 * persisted, then published, and a failed one changes nothing.
 */
import type { Result, VersionEnv } from '../engine/index.ts';
import type { ApiChange, ApiState, Registry } from './registry.ts';

/** Who writes, and in which namespace. `actor` becomes `created_by`/`updated_by`. */
export type WriteScope = {
  readonly registry: Registry;
  readonly namespace: string;
  readonly actor: string | null;
};

type Work<T> = (state: ApiState, env: VersionEnv) => ApiChange<Result<T>>;

export function write<T>(scope: WriteScope, work: Work<T>): Promise<Result<T>> {
  return scope.registry.transact(scope.actor, work);
}

export const unchanged = <T>(result: Result<T>): ApiChange<Result<T>> => ({ result });
