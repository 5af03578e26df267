export { FIELD_MANAGER, type KubeError, kubeConfigFrom, kubeError } from './client.ts';
export { type InformerOptions, RestartingInformer } from './informer.ts';
export { LeaderElector } from './leader-election.ts';
export { pickMetadata } from './pick-metadata.ts';
export { tokenReviewVerifier } from './token-review.ts';
