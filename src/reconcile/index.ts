export {
  Controller,
  type ControllerOptions,
  type ControllerStatus,
  type PassReport,
} from './controller.ts';
export { type Handler, type Outcome, WorkQueue } from './queue.ts';
