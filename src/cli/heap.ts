/**
 * The V8 heap measures of `railyard serve`, each found with the benchmarks (bench/, README
 * "Performance"): no allocation-site pretenuring, one full collection after the initial sync, and
 * the `process.nextTick` entry shape kept alive so that no full collection can slow the request
 * path down.
 */
import { createHook } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Turns off allocation-site pretenuring. Loading a large registry made V8 allocate straight into
 * the old generation at sites the request path shares; served requests then left ~2 KB of garbage
 * each in the old generation and 5-8 ms scavenges (10,000 policies). Off, scavenges stay under
 * 2 ms and the heap flat.
 */
export function disablePretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}

/**
 * One full garbage collection: loading a large registry leaves its parse trees and first-pass
 * scratch in the old generation, about 20 MB of resident memory at 10,000 policies that V8 would
 * otherwise keep until its own next full collection. Harmless to the request path once
 * `pinTickShape` has run.
 */
export function compactHeap(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

let pinnedTick: object | undefined;

/**
 * Keeps one `process.nextTick` entry alive for the life of the process; true once one is.
 *
 * A full collection drops the map transitions that no live object uses. When one ran with no
 * `nextTick` entry alive (the forced one above, or V8's memory reducer after a few idle seconds),
 * Node's optimized `nextTick` lost its fast path for building entries, and every request after it
 * ran about 25% slower: perf showed `Runtime_DefineKeyedOwnPropertyInLiteral` under `nextTick`,
 * and If-None-Match answered at 0.74× of the bare server, against 0.93× with the entry pinned.
 * Node hands its entries only to async hooks, so one is enabled for a single `nextTick` call.
 */
export function pinTickShape(): boolean {
  if (pinnedTick !== undefined) return true;
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'TickObject') pinnedTick ??= resource;
    },
  });
  hook.enable();
  process.nextTick(() => {});
  hook.disable();
  return pinnedTick !== undefined;
}
