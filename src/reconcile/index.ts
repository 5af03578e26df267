export {
  Controller,
  type ControllerOptions,
  type ControllerStatus,
  type LeaderView,
  type PassReport,
} from './controller.ts';
export { type Handler, type Outcome, type QueueObserver, WorkQueue } from './queue.ts';
