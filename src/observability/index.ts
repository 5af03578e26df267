export { Liveness, type LivenessOptions, type Watched } from './liveness.ts';
export { createLogger, type Logger } from './log.ts';
export {
  KUBE_WRITE_VERBS,
  type KubeWriteVerb,
  Metrics,
  type QueueState,
  type RequestSeries,
  type WorkqueueSeries,
} from './metrics.ts';
