import type { DeclaredInput } from '../engine/index.ts';

/** Why a source cannot see its backend right now: since when (epoch ms) and what to check. */
export type SourceTrouble = { readonly since: number; readonly message: string };

/**
 * Where declared objects come from: a folder of YAML, or the Kubernetes API. A source only says
 * "something may have changed"; the controller then reads `view()`, the whole current state, and
 * never an event's delta, so a repeated or merged notification is harmless.
 *
 * Contract (`test/support/source-contract.ts` runs it against every implementation):
 * - `start` reads everything once, then watches until `signal` aborts or `stop`; it resolves once
 *   the first read was attempted, and calls `changed` at least once after the first complete read.
 * - After `changed` is called, `view()` holds every change the source had taken in by then. Writes
 *   to one object are seen in order: a view never goes back to content older than an earlier
 *   view's.
 * - `view()` never throws. An object whose content did not change is the same object in the next
 *   view, so the pass can tell at a glance what to redo.
 * - A document Railyard refuses is in `rejected` (with its key when it has one); it never removes
 *   or disturbs the other objects.
 * - Losing the backend keeps the last view (never an empty one) and is reported by `trouble()`;
 *   once it is back, the source catches up on what changed meanwhile and calls `changed`.
 */
export interface Source {
  start(changed: () => void, signal: AbortSignal): Promise<void>;
  /** Stops watching; resolves once no read is in flight. The last view stays readable. */
  stop(): Promise<void>;
  /** True once every part of the source has been read completely at least once. */
  synced(): boolean;
  view(): DeclaredInput;
  trouble(): SourceTrouble | undefined;
}
