export {
  ClusterStore,
  type ClusterStoreOptions,
  dataBytes,
  historyConfigMap,
  historyConfigMapName,
  policyLabelValue,
} from './cluster-store.ts';
export {
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_DRAFTS,
  fitHistory,
} from './history-fit.ts';
