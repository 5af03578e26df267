export {
  ClusterStore,
  type ClusterStoreOptions,
  historyConfigMapName,
  StoreConflict,
} from './cluster-store.ts';
