/**
 * The one retry schedule of the project: capped exponential backoff with jitter. The controller's
 * failed passes, the status writer's failed patches and the informers' restarts all wait by it.
 */
export type Backoff = {
  /** Delay before the first retry. */
  readonly initialMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
  /**
   * Each delay is shortened by up to this fraction, at random (0 = none), so that replicas or
   * keys that failed together do not all retry together.
   */
  readonly jitter: number;
};

/**
 * The delay before retry number `attempt + 1`: `initialMs · 2^attempt`, capped at `maxMs`, then
 * shortened by `jitter · random()` of itself. Pure for a given `random` (a value in [0, 1)).
 */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const capped = Math.min(b.maxMs, b.initialMs * 2 ** attempt);
  return b.jitter === 0 ? capped : capped * (1 - b.jitter * random());
}
