export { createLogger, type Logger } from './log.ts';
export { Metrics, type RequestSeries } from './metrics.ts';
