export { FIELD_MANAGER, type KubeConfigSource, type KubeError, kubeConfigFrom, kubeError } from './client.ts';
export { type InformerOptions, RestartingInformer } from './informer.ts';
export { LeaderElector } from './leader-election.ts';
export { type RoleGrant, type TokenReviewOptions, tokenReviewVerifier } from './token-review.ts';
