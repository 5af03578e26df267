export {
  ClusterStore,
  type ClusterStoreOptions,
  dataBytes,
  historyConfigMap,
  historyConfigMapName,
  POLICY_LABEL,
  POLICY_NAMESPACE_LABEL,
  policyLabelValue,
} from './cluster-store.ts';
export {
  CONFIGMAP_DATA_LIMIT,
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_DRAFTS,
  type FitOptions,
  fitHistory,
} from './history-fit.ts';
