export {
  type Counts,
  OTHER,
  type RecentDecision,
  USAGE_DEFAULTS,
  USAGE_OUTCOMES,
  USAGE_SUBJECTS,
  type UsageDecision,
  UsageRecorder,
  type UsageSubject,
} from './recorder.ts';
export { UsageFile } from './usage-file.ts';
