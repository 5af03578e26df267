export { ClusterStore, type ClusterStoreOptions, historyConfigMapName } from './cluster-store.ts';
