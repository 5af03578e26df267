export {
  Controller,
  type ControllerStatus,
  type LeaderView,
  type PassReport,
} from './controller.ts';
export { type QueueObserver, WorkQueue } from './queue.ts';
