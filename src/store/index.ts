export { createLowdbStore, STORE_SCHEMA_VERSION } from './lowdb-store.ts';
export { createMemoryStore } from './memory-store.ts';
export { StoreConflict, StoreError, type StoreState, type VersionStore } from './types.ts';
