export { createLogger, type Logger } from './log.ts';
export { Metrics } from './metrics.ts';
