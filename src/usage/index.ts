export {
  type Counts,
  OTHER,
  type RecentDecision,
  USAGE_DEFAULTS,
  USAGE_OUTCOMES,
  USAGE_SUBJECTS,
  type UsageDecision,
  type UsageEvent,
  type UsageLabel,
  type UsageOptions,
  type UsageOutcome,
  UsageRecorder,
  type UsageState,
  type UsageSubject,
} from './recorder.ts';
export { UsageFile, type UsageFileOptions } from './usage-file.ts';
