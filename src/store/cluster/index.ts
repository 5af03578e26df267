export { ClusterStore, type ClusterStoreOptions } from './cluster-store.ts';
export {
  dataBytes,
  historyConfigMap,
  historyConfigMapName,
  policyLabelValue,
} from './history-configmap.ts';
export {
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_DRAFTS,
  fitHistory,
} from './history-fit.ts';
