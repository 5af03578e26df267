export { Liveness } from './liveness.ts';
export { createLogger, type Logger } from './log.ts';
export {
  Metrics,
  type RequestSeries,
  type WorkqueueSeries,
} from './metrics.ts';
