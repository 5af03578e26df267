export { type KubeConfigSource, type KubeError, kubeConfigFrom, kubeError } from './client.ts';
export { ClusterStore, historyConfigMapName, StoreConflict } from './cluster-store.ts';
export { EventRecorder, type EventSpec, statusEvents, versionEvents } from './events.ts';
export { RestartingInformer } from './informer.ts';
export { type CustomObject, KubernetesSource } from './kubernetes-source.ts';
export { LeaderElector } from './leader-election.ts';
export { LEASE_NAME, Operator, type OperatorConfig, operatorConfig, podNamespace } from './operator.ts';
export { desiredStatus, StatusWriter, statusPatch } from './status-writer.ts';
export { tokenReviewVerifier } from './token-review.ts';
