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
export {
  SHADOW_RESULTS,
  SHADOW_VERDICTS,
  type ShadowContext,
  type ShadowDifference,
  ShadowRecorder,
  type ShadowRecorderOptions,
  type ShadowResult,
  type ShadowRun,
  type ShadowStats,
  type ShadowSubject,
  type ShadowVerdict,
} from './shadow-recorder.ts';
export { UsageFile } from './usage-file.ts';
