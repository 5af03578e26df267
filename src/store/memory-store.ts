import { EMPTY_STATE, type StoreState, type VersionStore } from './types.ts';

/**
 * A `VersionStore` in memory, for the CLI and tests: nothing survives the process. States are
 * copied in and out (`structuredClone`) so that it shares nothing with its callers, as a file
 * store would not.
 */
export function createMemoryStore(initial: StoreState = EMPTY_STATE): VersionStore {
  let stored = structuredClone(initial);
  return {
    load: async () => structuredClone(stored),
    save: async (state) => {
      stored = structuredClone(state);
    },
  };
}
