export {
  type Counts,
  OTHER,
  type RecentDecision,
  type UsageDecision,
  UsageRecorder,
  type UsageSubject,
} from './recorder.ts';
export {
  SHADOW_RESULTS,
  SHADOW_VERDICTS,
  type ShadowDifference,
  ShadowRecorder,
  type ShadowResult,
  type ShadowRun,
  type ShadowStats,
  type ShadowSubject,
  type ShadowVerdict,
} from './shadow-recorder.ts';
export { UsageFile } from './usage-file.ts';
