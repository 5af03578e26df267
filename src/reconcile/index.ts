export { type Handler, type Outcome, retryDelay, WorkQueue } from './queue.ts';
