export { Liveness, type LivenessOptions, type Watched } from './liveness.ts';
export { createLogger, type Logger } from './log.ts';
export {
  type KubeWriteVerb,
  Metrics,
  type QueueState,
  type RequestSeries,
  type WorkqueueSeries,
} from './metrics.ts';
