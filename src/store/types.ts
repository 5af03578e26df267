/** The version store: where policy histories and API attachments live between restarts. */
import type { AttachmentRecord, HistoryFit, PolicyHistory } from '../engine/index.ts';

/** Everything the registry persists, as one immutable value. */
export type StoreState = {
  readonly policies: readonly PolicyHistory[];
  readonly attachments: readonly AttachmentRecord[];
};

export const EMPTY_STATE: StoreState = { policies: [], attachments: [] };

/**
 * Contract (test/unit/store/store-contract.ts): `load` returns the state of the last completed
 * `save`, or the empty state when nothing was ever saved; it throws a `StoreError` when the
 * stored data cannot be read, never an empty state in its place. `save` resolves once the state
 * is stored whole; saves are applied in call order (the last one wins), and a state is never
 * stored in part. Neither keeps a reference to the caller's objects.
 */
export interface VersionStore {
  load(): Promise<StoreState>;
  save(state: StoreState): Promise<void>;
  /**
   * For a store with limits (the cluster's: retention and the object-size limit): what of
   * `history` it can keep, checked before a pass records it. Absent: every history is kept whole.
   */
  readonly fit?: (history: PolicyHistory) => HistoryFit;
}

/** The stored data cannot be used. `message` names the file and says what to do. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * A save lost a race with another writer (another replica) and stored nothing of what conflicted:
 * reload the stored state and try again.
 */
export class StoreConflict extends StoreError {
  override name = 'StoreConflict';
}
